package types

import (
	"encoding/json"
	"fmt"
)

// MaxJSONSize is the largest document DecodeJSON accepts: 16 MiB, far above
// any tipset (a few blocks of about 1 KiB, each at most MaxBlockHeaderSize
// as CBOR) or other single-object answer. StateMarketDeals on mainnet is
// gigabytes and must be streamed instead.
const MaxJSONSize = 16 << 20

// DecodeJSON decodes one JSON value from b into v, refusing inputs over
// MaxJSONSize before parsing them and anything but whitespace after the
// value. Errors name the Go type and, where encoding/json reports it (values
// of the wrong JSON type in plain fields), the field.
func DecodeJSON(b []byte, v any) error {
	if len(b) > MaxJSONSize {
		return fmt.Errorf("decode %T: %w: %d bytes of JSON, max %d", v, ErrTooLarge, len(b), MaxJSONSize)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %T: %w", v, err)
	}
	return nil
}
