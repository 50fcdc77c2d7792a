-- CSV with ARRAY columns split on 'csv.array-element-delimiter', a null literal for whole
-- fields, comment lines, and array elements that are the null literal or empty.
CREATE TABLE t (
  id INT,
  tags ARRAY<STRING>,
  nums ARRAY<INT>,
  label STRING
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.csv', 'format' = 'csv',
        'csv.array-element-delimiter' = ';', 'csv.null-literal' = 'NULL', 'csv.allow-comments' = 'true');

CREATE TABLE `out` (id INT, tags ARRAY<STRING>, nums ARRAY<INT>, n_tags INT, first_tag STRING, sum_nums INT, label STRING, label_is_null BOOLEAN)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id, tags, nums, CARDINALITY(tags), tags[1], nums[1] + nums[2], label, label IS NULL FROM t;
