-- The series of `m_series` that the long input has no row of at all: the indicator's index and
-- its `indicator/breakdown/unit` name, in indicators.toml order. Read-only.
SELECT s.ind, s.indicator || '/' || s.breakdown || '/' || s.unit AS series
FROM m_series s
WHERE NOT EXISTS (
    SELECT 1 FROM observations o
    WHERE o.indicator = s.indicator AND o.breakdown = s.breakdown AND o.unit_measure = s.unit
)
ORDER BY s.ind;
