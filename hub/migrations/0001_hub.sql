-- The hub's miners: what they seal, the number range the hub may use,
-- and when each was last given a sector (the fair allocation policy).
CREATE TABLE hub_miners (
    actor BIGINT PRIMARY KEY,           -- the miner's actor ID (f0...)
    proof_type BIGINT NOT NULL,         -- registered seal proof
    worker_addr TEXT NOT NULL,          -- the key that signs its messages
    control_addrs TEXT NOT NULL DEFAULT '',
    wallet_api TEXT NOT NULL DEFAULT '',-- the wallet that signs for it (API info with a scoped token)
    min_number BIGINT NOT NULL,
    max_number BIGINT NOT NULL,
    next_number BIGINT NOT NULL,
    last_alloc BIGINT NOT NULL DEFAULT 0,
    enabled BOOLEAN NOT NULL DEFAULT TRUE
);

-- One row per allocated sector. lease_until is when the worker holding it
-- must have reported or pinged again; after it the sector may be taken
-- over. A finalized or aborted sector's lease_until is the largest BIGINT,
-- so the lapsed-lease scan (an index range below now) never reads it.
CREATE TABLE hub_sectors (
    miner BIGINT NOT NULL,
    number BIGINT NOT NULL,
    proof_type BIGINT NOT NULL,
    state TEXT NOT NULL,
    worker TEXT NOT NULL,
    location TEXT NOT NULL DEFAULT '',
    lease_until BIGINT NOT NULL,
    worker_state TEXT NOT NULL DEFAULT '',
    ticket BYTEA,
    ticket_epoch BIGINT NOT NULL DEFAULT 0,
    comm_r BYTEA,
    comm_d BYTEA,
    precommit_state TEXT NOT NULL DEFAULT '',
    precommit_msg TEXT NOT NULL DEFAULT '',   -- CID of the batch message carrying it
    precommit_epoch BIGINT NOT NULL DEFAULT 0,-- the epoch it landed at
    persist_store TEXT NOT NULL DEFAULT '',
    seed BYTEA,
    seed_epoch BIGINT NOT NULL DEFAULT 0,
    proof BYTEA,
    proof_state TEXT NOT NULL DEFAULT '',
    proof_msg TEXT NOT NULL DEFAULT '',
    abort_reason TEXT NOT NULL DEFAULT '',
    takeovers BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (miner, number)
);
CREATE INDEX hub_sectors_by_lease ON hub_sectors (lease_until);
CREATE INDEX hub_sectors_by_worker ON hub_sectors (worker, state);

-- Workers as they last said they were.
CREATE TABLE hub_workers (
    name TEXT PRIMARY KEY,
    info TEXT NOT NULL,
    last_ping BIGINT NOT NULL
);

-- Chain messages the hub sends. A message is recorded, signed, before it
-- is pushed, so a hub killed in between pushes the same message again
-- rather than a second one.
CREATE TABLE hub_messages (
    cid TEXT PRIMARY KEY,
    miner BIGINT NOT NULL,
    kind TEXT NOT NULL,            -- precommit | provecommit
    sender TEXT NOT NULL,
    nonce BIGINT NOT NULL,
    signed BYTEA NOT NULL,         -- the SignedMessage CBOR
    sectors TEXT NOT NULL,         -- the sector numbers, comma-separated
    state TEXT NOT NULL,           -- signed | pushed | landed | failed
    exit_code BIGINT NOT NULL DEFAULT 0,
    height BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX hub_messages_by_state ON hub_messages (state);
CREATE INDEX hub_messages_by_sender ON hub_messages (sender, nonce);
