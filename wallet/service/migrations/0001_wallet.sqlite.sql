-- Scoped wallet tokens: the policy each is bound to, and revocation.
CREATE TABLE wallet_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    policy TEXT NOT NULL,
    created_at BIGINT NOT NULL,   -- unix nanoseconds
    revoked_at BIGINT             -- unix nanoseconds; NULL while valid
);

-- Every sign request and what the wallet decided. Append-only: the triggers
-- refuse updates and deletes.
CREATE TABLE wallet_audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,           -- unix nanoseconds
    token_id TEXT NOT NULL,
    address TEXT NOT NULL,
    kind TEXT NOT NULL,
    msg_cid TEXT NOT NULL DEFAULT '',
    to_addr TEXT NOT NULL DEFAULT '',
    method BIGINT NOT NULL DEFAULT 0,
    value TEXT NOT NULL DEFAULT '',
    fee_cap TEXT NOT NULL DEFAULT '',
    premium TEXT NOT NULL DEFAULT '',
    nonce BIGINT NOT NULL DEFAULT 0,
    subject TEXT NOT NULL DEFAULT '',
    decision TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX wallet_audit_by_token ON wallet_audit (token_id, seq);
CREATE INDEX wallet_audit_by_address ON wallet_audit (address, seq);

CREATE TRIGGER wallet_audit_no_update BEFORE UPDATE ON wallet_audit
BEGIN SELECT RAISE(ABORT, 'wallet_audit is append-only'); END;
CREATE TRIGGER wallet_audit_no_delete BEFORE DELETE ON wallet_audit
BEGIN SELECT RAISE(ABORT, 'wallet_audit is append-only'); END;
