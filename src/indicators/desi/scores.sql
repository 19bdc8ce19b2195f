-- The composite: every indicator cell normalised, then the weighted means of the sub-dimensions,
-- the dimensions and the DESI total (indicators/methodology/README.md, steps 4 and 5).
-- Read-only SELECT over the method's temp tables (method_tables.sql) and `cell_values` (the
-- input, filled). An aggregate is missing as soon as one of its inputs is (count(*) counts
-- members, count(score) those with a score); weights are never re-scaled. Sums are compensated
-- (`fsum`, Kahan-Babuska), so a score does not depend on the order DuckDB meets the rows in, and an
-- ordered aggregate (three times slower here) is not needed.
-- A zero-score cell scores 0 whatever its value. No clipping, no rounding.
-- Rows: edition, geo, level ('desi', 'dimension', 'subdimension'), code, score; in the order of
-- the Commission's tables (edition, geo, then the total, the dimensions, the sub-dimensions).
WITH cells AS (
    SELECT e.year AS edition, e.ord AS e_ord, g.geo, g.ord AS g_ord,
           i.subdimension, i.weight, i.ord,
           CASE WHEN o.zero_score THEN 0.0
                WHEN i.higher_is_better
                THEN (o.value - i.min) / (i.max - i.min) * 100
                ELSE (i.max - o.value) / (i.max - i.min) * 100 END AS score
    FROM m_editions e CROSS JOIN m_geos g CROSS JOIN m_indicators i
    LEFT JOIN cell_values o
      ON o.period = e.label AND o.geo = g.geo AND o.indicator = i.input
),
sub AS (
    SELECT c.edition, c.e_ord, c.geo, c.g_ord, s.code, s.dimension, s.weight, s.ord,
           CASE WHEN count(*) = count(c.score)
                THEN fsum(c.weight * c.score) / fsum(c.weight)
                END AS score
    FROM cells c JOIN m_subdimensions s ON s.code = c.subdimension
    GROUP BY ALL
),
dim AS (
    SELECT b.edition, b.e_ord, b.geo, b.g_ord, d.code, d.weight, d.ord,
           CASE WHEN count(*) = count(b.score)
                THEN fsum(b.weight * b.score) / fsum(b.weight)
                END AS score
    FROM sub b JOIN m_dimensions d ON d.code = b.dimension
    GROUP BY ALL
),
total AS (
    SELECT edition, e_ord, geo, g_ord,
           CASE WHEN count(*) = count(score)
                THEN fsum(weight * score) / fsum(weight)
                END AS score
    FROM dim
    GROUP BY ALL
)
SELECT edition, geo, level, code, score FROM (
    SELECT edition, e_ord, geo, g_ord, 0 AS l_ord, 0 AS ord, 'desi' AS level, 'desi' AS code, score FROM total
    UNION ALL
    SELECT edition, e_ord, geo, g_ord, 1, ord, 'dimension', code, score FROM dim
    UNION ALL
    SELECT edition, e_ord, geo, g_ord, 2, ord, 'subdimension', code, score FROM sub
)
ORDER BY e_ord, g_ord, l_ord, ord;
