-- Room on each page of hub_sectors for the new versions of its rows. The
-- calls workers make most (state reports, lease renewals) change no
-- indexed column, so PostgreSQL can write a row's new version beside the
-- old one on the same page (a HOT update) instead of a new entry in each
-- of the table's seven indexes, but only when that page has room. Pages
-- written before this change get it as their old versions are pruned.
ALTER TABLE hub_sectors SET (fillfactor = 85);
