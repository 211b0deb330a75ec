-- Persist stores: named directories the hub chooses among for each
-- sealed sector's file and cache (`strata hub storage attach`). path is
-- the hub's path to the store; a worker reaches it through its own
-- ([[attached]] with the same name), and a hub process on another
-- machine through hub.Options.StorePaths.
--   weight: the choice prefers stores with a higher weight × available;
--   capacity: bytes the hub may fill (0: the filesystem's free space);
--   read_only: never chosen for new sectors;
--   allow_miners / deny_miners: actor IDs, comma-separated (allow empty:
--     every miner; deny wins).
CREATE TABLE hub_stores (
    name TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    weight BIGINT NOT NULL,
    capacity BIGINT NOT NULL DEFAULT 0,
    read_only BOOLEAN NOT NULL DEFAULT FALSE,
    allow_miners TEXT NOT NULL DEFAULT '',
    deny_miners TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- store_choice: the store the hub reserved for the sector (ReserveStore),
-- whose space counts from then on; SubmitPersisted keeps it equal to
-- persist_store. Sectors persisted before this migration count in the
-- store they were persisted to. The index serves the space accounting,
-- which counts a store's sectors by their store_choice.
ALTER TABLE hub_sectors ADD COLUMN store_choice TEXT NOT NULL DEFAULT '';
UPDATE hub_sectors SET store_choice = persist_store WHERE persist_store <> '';
CREATE INDEX hub_sectors_by_store ON hub_sectors (store_choice, state);
