"""Hub ecosystem signal (issue 15): import a snapshot of the Hub's model listing, its lineage, its figures.

parse (rows to models), load (COPY into staging), lineage (set-based SQL), figures (precomputed payloads),
snapshots (the import as one transaction, and the partitions)."""
