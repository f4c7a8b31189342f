-- The core of a reconciliation in DuckDB, as an analyst would write it:
-- load the five CSVs, compute each line's entitlement (longest-prefix,
-- latest-dated standard), aggregate the three stages per (person, program,
-- month), full-join, classify, and write the classified lines out.
-- `{case}` and `{out}` are replaced by benches/duckdb/run.py.

CREATE TEMP TABLE roster AS
SELECT id_number, enrolment_id, lower(program) AS program, region,
       coalesce(TRY_CAST(household_size AS INTEGER), 1) AS household_size,
       coalesce(TRY_CAST(per_capita_income AS DECIMAL(18,2)), 0) AS income,
       coalesce(TRY_CAST(deductions AS DECIMAL(18,2)), 0) AS deductions,
       lower(care_level) AS care_level,
       coalesce(TRY_CAST(approved_amount AS DECIMAL(18,2)), 0) AS approved,
       CAST(substr(start_period, 1, 4) AS INTEGER) * 12 + CAST(substr(start_period, 6, 2) AS INTEGER) - 1 AS start_m,
       CASE WHEN end_period IS NULL OR end_period = '' THEN NULL
            ELSE CAST(substr(end_period, 1, 4) AS INTEGER) * 12 + CAST(substr(end_period, 6, 2) AS INTEGER) - 1 END AS end_m
FROM read_csv('{case}/roster.csv', header = true, all_varchar = true);

CREATE TEMP TABLE standards AS
SELECT CASE WHEN region = '*' THEN '' ELSE region END AS region, lower(program) AS program, lower(item) AS item,
       CAST(substr(effective_from, 1, 4) AS INTEGER) * 12 + CAST(substr(effective_from, 6, 2) AS INTEGER) - 1 AS from_m,
       -- v2 shares of a base ("130%", "1/6") are left out: TRY_CAST gives NULL.
       TRY_CAST(amount AS DECIMAL(18,2)) AS amount
FROM read_csv('{case}/standards.csv', header = true, all_varchar = true);

CREATE TEMP MACRO month_of(p) AS CAST(substr(p, 1, 4) AS INTEGER) * 12 + CAST(substr(p, 6, 2) AS INTEGER) - 1;

CREATE TEMP TABLE payouts AS
SELECT id_number, lower(program) AS program, month_of(split_part(period, '..', 1)) AS m,
       TRY_CAST(amount AS DECIMAL(18,2)) AS amount, coalesce(lower(status), 'paid') AS status
FROM read_csv('{case}/payouts.csv', header = true, all_varchar = true, ignore_errors = true);
CREATE TEMP TABLE allocations AS
SELECT id_number, lower(program) AS program, month_of(split_part(period, '..', 1)) AS m, TRY_CAST(amount AS DECIMAL(18,2)) AS amount
FROM read_csv('{case}/allocations.csv', header = true, all_varchar = true, ignore_errors = true);
CREATE TEMP TABLE transfers AS
SELECT id_number, lower(program) AS program, month_of(split_part(period, '..', 1)) AS m, TRY_CAST(amount AS DECIMAL(18,2)) AS amount
FROM read_csv('{case}/transfers.csv', header = true, all_varchar = true, ignore_errors = true);

CREATE TEMP TABLE window_bounds AS
SELECT min(m) AS first_m, max(m) AS last_m FROM (SELECT m FROM payouts UNION ALL SELECT m FROM allocations UNION ALL SELECT m FROM transfers);

-- One row per enrolment and covered month of the window.
CREATE TEMP TABLE covered AS
SELECT r.*, unnest(generate_series(greatest(r.start_m, w.first_m),
                                   CASE WHEN r.program = 'temp' THEN r.start_m ELSE least(coalesce(r.end_m, w.last_m), w.last_m) END)) AS m
FROM roster r, window_bounds w;

-- The standard in force per region, item and month (regions are few, so
-- resolve them once): longest prefix with a row in force, then latest.
CREATE TEMP TABLE region_months AS
SELECT DISTINCT c.region, c.program, c.m FROM covered c;

CREATE TEMP TABLE region_items AS
SELECT rm.region, rm.program, rm.m, s.item, s.amount
FROM region_months rm
JOIN standards s ON s.program = rm.program AND starts_with(rm.region, s.region) AND s.from_m <= rm.m
QUALIFY row_number() OVER (PARTITION BY rm.region, rm.program, rm.m, s.item ORDER BY length(s.region) DESC, s.from_m DESC) = 1;

CREATE TEMP TABLE region_standards AS
SELECT region, program, m,
       max(amount) FILTER (WHERE item = 'standard') AS standard,
       max(amount) FILTER (WHERE item = 'floor') AS floor,
       max(amount) FILTER (WHERE item = 'basic') AS basic,
       max(amount) FILTER (WHERE item = 'care_self') AS care_self,
       max(amount) FILTER (WHERE item = 'care_semi') AS care_semi,
       max(amount) FILTER (WHERE item = 'care_full') AS care_full,
       max(amount) FILTER (WHERE item = 'price_subsidy') AS price_subsidy
FROM region_items GROUP BY ALL;

CREATE TEMP TABLE entitled AS
WITH lines AS (
  SELECT c.id_number, c.program, c.m, c.household_size, c.income, c.deductions, c.care_level, c.approved,
         i.standard, coalesce(i.floor, 0) AS floor, i.basic, i.care_self, i.care_semi, i.care_full,
         coalesce(i.price_subsidy, 0) AS price_subsidy,
         c.household_size * (i.standard - c.income) + c.deductions AS gap
  FROM covered c LEFT JOIN region_standards i USING (region, program, m)
)
SELECT id_number, program, m,
       CASE program
         WHEN 'dibao' THEN CASE WHEN gap <= 0 THEN 0 ELSE round(greatest(gap, household_size * floor), 2) END
         WHEN 'tekun' THEN basic + CASE care_level WHEN 'self' THEN care_self WHEN 'semi' THEN care_semi ELSE care_full END
         ELSE approved END AS expected
FROM lines
UNION ALL
SELECT id_number, 'price_subsidy', m,
       sum(CASE WHEN program = 'dibao' AND gap <= 0 THEN 0 ELSE price_subsidy * household_size END)
FROM lines WHERE program IN ('dibao', 'tekun') GROUP BY ALL;

CREATE TEMP TABLE ledger AS
WITH e AS (SELECT id_number, program, m, sum(expected) AS expected FROM entitled GROUP BY ALL),
     a AS (SELECT id_number, program, m, sum(amount) AS allocated FROM allocations GROUP BY ALL),
     t AS (SELECT id_number, program, m, sum(amount) AS transferred FROM transfers GROUP BY ALL),
     p AS (SELECT id_number, program, m, sum(amount) AS paid FROM payouts WHERE status = 'paid' GROUP BY ALL)
SELECT id_number, program, m,
       e.expected, coalesce(a.allocated, 0) AS allocated, coalesce(t.transferred, 0) AS transferred, coalesce(p.paid, 0) AS paid,
       CASE WHEN e.expected IS NULL AND coalesce(p.paid, 0) > 0 THEN 'not_enrolled'
            WHEN e.expected > 0 AND coalesce(p.paid, 0) = 0 THEN 'missing'
            WHEN coalesce(p.paid, 0) < e.expected THEN 'shortfall'
            WHEN coalesce(p.paid, 0) > e.expected THEN 'over'
            ELSE 'ok' END AS status
FROM e FULL JOIN a USING (id_number, program, m) FULL JOIN t USING (id_number, program, m) FULL JOIN p USING (id_number, program, m);

COPY (SELECT * FROM ledger ORDER BY id_number, program, m) TO '{out}/duckdb-ledger.csv' (HEADER);
