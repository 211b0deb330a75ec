package devnet

import "github.com/strata-sp/strata/chain"

var _ chain.API = (*API)(nil)
