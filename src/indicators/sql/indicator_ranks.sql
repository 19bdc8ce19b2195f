-- The ranks of one indicator's values within every group of geo-groups.toml (the temp table
-- m_groups: grp, geo), per period: rank (1 = best per the indicator's direction, ties share a
-- rank), how many of the group have a value, and the group's median. Filled in by values.rs:
--   {source}  as in indicator_table.sql (same bound parameters, in the same order);
--   {order}   `DESC` (higher is better) or `ASC`: one of two constants, nothing from a file.
WITH s AS ({source}),
t AS (
    SELECT * FROM (
        SELECT *, row_number() OVER (PARTITION BY geo, period ORDER BY src) AS pick FROM s)
    WHERE pick = 1 AND value IS NOT NULL)
SELECT g.grp, t.geo, t.period,
       rank() OVER (PARTITION BY g.grp, t.period ORDER BY t.value {order}),
       count(*) OVER (PARTITION BY g.grp, t.period),
       median(t.value) OVER (PARTITION BY g.grp, t.period)
FROM t
JOIN m_groups g ON g.geo = t.geo
