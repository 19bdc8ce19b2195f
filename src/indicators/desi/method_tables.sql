-- The method's parameters as temp tables, filled by an Appender from the methodology files
-- (never spliced into SQL text): the editions asked for and all of them, the geos (members in
-- file order, the aggregate last), the dimensions, sub-dimensions and indicators with their
-- weights, directions and reference min/max. `ord` keeps the files' order for sums and output.
CREATE TEMP TABLE m_editions (year INTEGER, label VARCHAR, ord INTEGER);
CREATE TEMP TABLE m_all_editions (year INTEGER, label VARCHAR, ord INTEGER);
CREATE TEMP TABLE m_geos (geo VARCHAR, ord INTEGER);
CREATE TEMP TABLE m_dimensions (code VARCHAR, weight DOUBLE, ord INTEGER);
CREATE TEMP TABLE m_subdimensions (code VARCHAR, dimension VARCHAR, weight DOUBLE, ord INTEGER);
CREATE TEMP TABLE m_indicators (code VARCHAR, input VARCHAR, subdimension VARCHAR,
    higher_is_better BOOLEAN, min DOUBLE, max DOUBLE, weight DOUBLE, ord INTEGER);
