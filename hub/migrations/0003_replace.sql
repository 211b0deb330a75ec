-- Replacement of stuck messages. A message that stays in the pool is
-- replaced by the same message (same sender, nonce, receiver, value and
-- parameters) signed again with higher fees; the original and its
-- replacements are a family that shares one nonce, of which at most one
-- executes. Sectors keep pointing at the family's first message.
--   family: CID of the family's first message (its own CID for that one);
--   pushed_epoch: chain height when the hub first pushed it (-1: not yet,
--     or pushed before this migration), from which "stuck" is counted;
--   exec_cid: once the family is settled, the CID that took its nonce on
--     chain (a member, or a message the hub did not send); exit_code and
--     height of every member are then that message's.
-- New states: replaced (another message with the same call and nonce
-- executed: one of the family, or one re-sent outside the hub) and
-- dropped (a different message took the nonce; the sectors are sent
-- again in a new message).
ALTER TABLE hub_messages ADD COLUMN family TEXT NOT NULL DEFAULT '';
ALTER TABLE hub_messages ADD COLUMN pushed_epoch BIGINT NOT NULL DEFAULT -1;
ALTER TABLE hub_messages ADD COLUMN exec_cid TEXT NOT NULL DEFAULT '';
UPDATE hub_messages SET family = cid WHERE family = '';
CREATE INDEX hub_messages_by_family ON hub_messages (family);
