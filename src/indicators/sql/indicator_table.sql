-- The whole tables of one or more indicators: every geo and period of each one's source(s), with
-- the EU27_2020 value of the period, the change against the geo's previous period, and its rank
-- in every group of geo-groups.toml it belongs to (the temp table m_groups: grp, geo): rank (1 =
-- best per the indicator's direction, ties share a rank), how many of the group have a value in
-- the period, and the group's median. One row per value and group (one with a null group for a
-- geo in none), ordered by indicator, geo, time and group. Filled in by values.rs:
--   {source}  the series of each indicator from each source, UNION ALL (one SELECT per file and
--             set of filter columns, values.rs `Scans`, joined to the filter codes appended to
--             the temp table m_filters): ind (the indicator's place in the batch), sign (1 when
--             higher is better, else -1), geo, period, period_start, value, flags, src (0 for the
--             main source, 1, 2 … for the supplements); column names are quoted identifiers.
--   {eu}      the EU aggregate's code, a constant of values.rs.
-- A (geo, period) that a source repeats is reported through `repeats` (the filter is ambiguous);
-- a supplement (src > 0) only fills the cells the sources before it lack.
-- `change` carries the published precision of its two values: the difference rounded to the
-- larger number of decimals of the two (each value's decimals as its shortest text shows them:
-- 81.83 has 2, 90.0 has 1), so 84.79 - 81.83 is 2.96, not 2.960000000000008. A value written
-- with an exponent has no such count: the change is then the plain difference. Values stay as
-- published; only the difference is rounded.
WITH s AS ({source}),
picked AS (
    SELECT *,
           count(*) OVER (PARTITION BY ind, geo, period, src) AS repeats,
           row_number() OVER (PARTITION BY ind, geo, period ORDER BY src) AS pick
    FROM s),
t AS (
    SELECT *,
           CASE WHEN txt IS NULL OR contains(txt, 'e') OR contains(txt, 'E') THEN NULL
                WHEN strpos(txt, '.') = 0 THEN 0
                ELSE CAST(length(txt) - strpos(txt, '.') AS INTEGER)
           END AS decimals
    FROM (SELECT *, CAST(value AS VARCHAR) AS txt FROM picked WHERE pick = 1)),
eu AS (SELECT ind, period, value FROM t WHERE geo = {eu}),
base AS (
    SELECT t.ind, t.geo, t.period, t.period_start, CAST(year(t.period_start) AS INTEGER) AS year,
           t.value, t.flags, t.src, eu.value AS eu_value,
           CASE WHEN t.decimals IS NULL OR lag(t.decimals) OVER w IS NULL
                THEN t.value - lag(t.value) OVER w
                ELSE round(t.value - lag(t.value) OVER w,
                           greatest(t.decimals, lag(t.decimals) OVER w))
           END AS change,
           lag(t.period) OVER w AS previous_period,
           t.repeats
    FROM t
    LEFT JOIN eu ON eu.ind = t.ind AND eu.period = t.period
    WINDOW w AS (PARTITION BY t.ind, t.geo ORDER BY t.period_start)),
ranks AS (
    SELECT t.ind, g.grp, t.geo, t.period,
           rank() OVER (PARTITION BY t.ind, g.grp, t.period ORDER BY t.value * t.sign DESC) AS rank,
           count(*) OVER (PARTITION BY t.ind, g.grp, t.period) AS ranked,
           median(t.value) OVER (PARTITION BY t.ind, g.grp, t.period) AS median
    FROM t
    JOIN m_groups g ON g.geo = t.geo
    WHERE t.value IS NOT NULL)
SELECT base.ind, base.geo, base.period, base.year, base.value, base.flags, base.src,
       base.eu_value, base.change, base.previous_period, base.repeats,
       ranks.grp, ranks.rank, ranks.ranked, ranks.median
FROM base
LEFT JOIN ranks ON ranks.ind = base.ind AND ranks.geo = base.geo AND ranks.period = base.period
ORDER BY base.ind, base.geo, base.period_start, ranks.grp
