-- The hub's proving, one row per thing it did for a deadline occurrence
-- of a miner (open_epoch, the epoch the deadline opens, names the
-- occurrence):
--   post: a SubmitWindowedPoSt for some of its partitions;
--   check: the fault check of its sectors before its fault cutoff;
--   faults / recoveries: a DeclareFaults / DeclareFaultsRecovered.
-- A row that sent a message is written in the transaction that writes
-- the message ahead (hub_messages), so a restarted hub knows what it
-- already sent and never proves a partition twice; the message's
-- outcome is its family's in hub_messages.
CREATE TABLE hub_proving (
    id TEXT PRIMARY KEY,                    -- miner/open_epoch/kind/partitions/attempt
    miner BIGINT NOT NULL,
    deadline BIGINT NOT NULL,               -- the deadline's index
    open_epoch BIGINT NOT NULL,
    kind TEXT NOT NULL,                     -- post | check | faults | recoveries
    partitions TEXT NOT NULL DEFAULT '',    -- partition indexes, comma-separated
    sectors BIGINT NOT NULL DEFAULT 0,      -- sectors proven, checked or declared
    faults TEXT NOT NULL DEFAULT '',        -- sectors found faulty (skipped, declared), comma-separated
    msg TEXT NOT NULL DEFAULT '',           -- the message family, when one was sent
    detail TEXT NOT NULL DEFAULT '',
    took_ms BIGINT NOT NULL DEFAULT 0,      -- time to generate the proof or run the check
    created_at BIGINT NOT NULL
);
CREATE INDEX hub_proving_by_miner ON hub_proving (miner, open_epoch);

-- A sealed sector's life after sealing:
--   life: '' (live), terminate (the operator asked; sent once its
--     deadline may be changed), terminating (TerminateSectors sent:
--     life_msg), terminated (it landed), removed (its files were deleted,
--     only ever after terminated);
--   extend_to: an expiration the operator asked for, sent once the
--     sector's deadline may be changed (extend_msg), 0 when none waits.
ALTER TABLE hub_sectors ADD COLUMN life TEXT NOT NULL DEFAULT '';
ALTER TABLE hub_sectors ADD COLUMN life_msg TEXT NOT NULL DEFAULT '';
ALTER TABLE hub_sectors ADD COLUMN extend_to BIGINT NOT NULL DEFAULT 0;
ALTER TABLE hub_sectors ADD COLUMN extend_msg TEXT NOT NULL DEFAULT '';

-- What the hub reads every epoch: sectors waiting for a batch by state,
-- lifecycle work waiting (a partial index, empty while nothing waits;
-- queries repeat its condition word for word), and a sender's unsettled
-- messages (its next nonce).
CREATE INDEX hub_sectors_by_state ON hub_sectors (state, miner);
CREATE INDEX hub_sectors_life_pending ON hub_sectors (miner, number) WHERE life IN ('terminate', 'terminating') OR extend_to > 0;
CREATE INDEX hub_messages_by_sender_state ON hub_messages (sender, state, nonce);
-- Covering indexes for reads made every epoch or every reservation: a
-- row's columns after a large BLOB (a signed WindowPoSt message is
-- hundreds of KB, a sector's proof tens) are reached in SQLite only by
-- reading the BLOB's overflow pages, so these reads never touch the rows.
CREATE INDEX hub_messages_outcome ON hub_messages (family, state, exit_code, height, exec_cid);
CREATE INDEX hub_sectors_store_use ON hub_sectors (store_choice, state, life, proof_type, persist_store);
