-- Pieces waiting for a sector, and the sector each was given to. A piece
-- is waiting, then assigned to a sector by AcquireDeals (position is its
-- place in the sector), then sealed once the sector's prove-commit lands;
-- an aborted sector's pieces wait again.
CREATE TABLE hub_pieces (
    id TEXT PRIMARY KEY,
    cid TEXT NOT NULL,                      -- piece CID v1
    size BIGINT NOT NULL,                   -- padded piece size
    payload_size BIGINT NOT NULL,           -- bytes of data at the source
    miner BIGINT NOT NULL DEFAULT 0,        -- 0: any miner
    source TEXT NOT NULL,                   -- a path or http(s) URL workers read the data from
    state TEXT NOT NULL,                    -- waiting | assigned | sealed
    sector_miner BIGINT NOT NULL DEFAULT 0,
    sector_number BIGINT NOT NULL DEFAULT -1,
    position BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX hub_pieces_by_state ON hub_pieces (state, created_at);
CREATE INDEX hub_pieces_by_sector ON hub_pieces (sector_miner, sector_number);

-- deals_acquired: AcquireDeals (or the pre-commit) fixed the sector's
-- pieces; from then on they do not change. failure: the last failure a
-- worker reported, cleared by `hub sectors resume`.
ALTER TABLE hub_sectors ADD COLUMN deals_acquired BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE hub_sectors ADD COLUMN failure TEXT NOT NULL DEFAULT '';
