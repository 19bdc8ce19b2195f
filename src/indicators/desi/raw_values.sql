-- The raw values of a long (desi-csv) input: one row per indicator (its index in indicators.toml),
-- geo (its index in method.toml [geos]) and edition year, for the series `m_series` names (indicator,
-- breakdown and unit of each [indicator.input]). Empty values are left out: they are the gaps the
-- imputation rules fill. Read-only over the store's view `observations` and the method's tables.
SELECT s.ind, g.ord, e.year, o.value
FROM observations o
JOIN m_series s
  ON o.indicator = s.indicator AND o.breakdown = s.breakdown AND o.unit_measure = s.unit
JOIN m_geos g ON g.geo = o.geo
JOIN m_all_editions e ON e.label = o.period
WHERE o.value IS NOT NULL
ORDER BY s.ind, g.ord, e.ord;
