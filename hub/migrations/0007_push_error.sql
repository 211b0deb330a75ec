-- Why the node last refused a message pushed to it ('' when the last push
-- was accepted). A refused message keeps its nonce and is pushed again
-- (or replaced with higher fees) until it executes; the reason shows in
-- `strata hub messages` so that the operator can fix its cause (a fee cap
-- below the base fee, a sender short of funds).
ALTER TABLE hub_messages ADD COLUMN push_error TEXT NOT NULL DEFAULT '';
