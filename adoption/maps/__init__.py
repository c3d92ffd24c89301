"""The map stack: every map answer and every published figure a page shows, from one set of tables.

`grains` (what the summary and presence tables keep), `sql` (the SQL fragments all of them share),
`upkeep` (what publishing, retracting and moving do, inside the services' transaction), `fold` (the
delta log into the summary), `repair` (rebuild and check), `params`, `queries` and `answers` (the read
side: DESIGN §4's JSON, which the API renders as CSV and GeoJSON too) and `figures` (the pages'
headline figures, read through the same answers).
"""
