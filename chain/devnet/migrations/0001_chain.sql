-- The devnet's chain: one block per tipset, the messages each includes
-- with their receipts once executed, and snapshots of the state.
CREATE TABLE chain_tipsets (
    height BIGINT PRIMARY KEY,
    cid TEXT NOT NULL UNIQUE,
    header BYTEA NOT NULL
);

CREATE TABLE chain_messages (
    cid TEXT PRIMARY KEY,          -- the CID the chain knows it by (signed, or unsigned for BLS)
    msg_cid TEXT NOT NULL,         -- the unsigned message's CID
    height BIGINT NOT NULL,        -- the tipset that includes it
    idx INTEGER NOT NULL,          -- its position in that tipset
    signed BYTEA NOT NULL,         -- the SignedMessage CBOR
    sender TEXT NOT NULL,
    nonce BIGINT NOT NULL,
    executed BOOLEAN NOT NULL DEFAULT FALSE,
    exit_code BIGINT NOT NULL DEFAULT 0,
    ret BYTEA,
    gas_used BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX chain_messages_by_height ON chain_messages (height, idx);
CREATE INDEX chain_messages_by_msg ON chain_messages (msg_cid);
CREATE INDEX chain_messages_by_sender ON chain_messages (sender, nonce);

-- The state before executing the tipset at height (its parent state).
CREATE TABLE chain_snapshots (
    height BIGINT PRIMARY KEY,
    state BYTEA NOT NULL
);

CREATE TABLE chain_meta (
    name TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
