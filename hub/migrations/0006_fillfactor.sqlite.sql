-- PostgreSQL only (page fill factor); SQLite updates a row in place.
SELECT 1;
