-- One indicator's whole table: every geo and period of its source(s), with the EU27_2020 value of
-- the period and the change against the geo's previous period. Filled in by values.rs:
--   {source}  the SELECT of the indicator's series from each source (geo, period, period_start,
--             value, flags, src), src = 0 for the main source, 1, 2 … for the supplements;
--             filter codes are bound parameters, column names quoted identifiers.
-- Bound after the source's parameters: the EU aggregate's code.
-- A (geo, period) that a source repeats is reported through `repeats` (the filter is ambiguous).
WITH s AS ({source}),
picked AS (
    SELECT *,
           count(*) OVER (PARTITION BY geo, period, src) AS repeats,
           row_number() OVER (PARTITION BY geo, period ORDER BY src) AS pick
    FROM s),
t AS (SELECT * FROM picked WHERE pick = 1),
eu AS (SELECT period, value FROM t WHERE geo = ?)
SELECT t.geo, t.period, CAST(year(t.period_start) AS INTEGER), t.value, t.flags, t.src,
       eu.value,
       t.value - lag(t.value) OVER w,
       lag(t.period) OVER w,
       t.repeats
FROM t
LEFT JOIN eu ON eu.period = t.period
WINDOW w AS (PARTITION BY t.geo ORDER BY t.period_start)
ORDER BY t.geo, t.period_start
