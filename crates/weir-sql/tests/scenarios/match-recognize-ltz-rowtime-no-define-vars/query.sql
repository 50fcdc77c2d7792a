-- A TIMESTAMP_LTZ rowtime computed from epoch millis (session zone Asia/Tokyo), variables without DEFINE (X{2} always true), a reluctant E+? and AFTER MATCH SKIP TO LAST X; MATCH_ROWTIME(rt) keeps the LTZ type
SET 'pipeline.auto-watermark-interval' = '0';
SET 'table.local-time-zone' = 'Asia/Tokyo';
CREATE TABLE events (k STRING, code STRING, ms BIGINT,
  rt AS TO_TIMESTAMP_LTZ(ms, 3),
  WATERMARK FOR rt AS rt - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/events.jsonl', 'format' = 'json');
CREATE TABLE `out` (k STRING, start_code STRING, x_codes STRING, end_code STRING, n_e BIGINT, mt TIMESTAMP_LTZ(3), mt_str STRING)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT k, start_code, x_codes, end_code, n_e, mt, CAST(mt AS STRING) FROM events MATCH_RECOGNIZE (
  PARTITION BY k ORDER BY rt
  MEASURES S.code AS start_code, FIRST(X.code) || LAST(X.code) AS x_codes, LAST(E.code) AS end_code,
    COUNT(E.code) AS n_e, MATCH_ROWTIME(rt) AS mt
  AFTER MATCH SKIP TO LAST X
  PATTERN (S X{2} E+? F)
  DEFINE S AS S.code = 'start', F AS F.code = 'end'
) MR;
