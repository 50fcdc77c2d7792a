//! SQL scenarios as data: every folder under `tests/scenarios/` holds a Flink SQL script
//! (`query.sql` with `${DATA}` and `${OUT}`), its input files (`data/`), `meta.json` and the
//! result Apache Flink gave on the same input (`expected.canon`: one JSON array of values
//! per final row, written by the peer harness in `../shared/peers/flink/`). Each script runs
//! on Weir at parallelism 1 and 2 and its result must equal Flink's, row for row.
//!
//! `meta.json` says how the result is read: `append` — the script writes JSON lines into a
//! filesystem table at `${OUT}`; `updating` — the script ends with a plain `SELECT` whose
//! changelog (`+I[…]`, `-U[…]`, `+U[…]`, `-D[…]`) is folded into the final table. Values are
//! compared in the harness's canonical form, decided by each column's Flink type.
//!
//! `WEIR_SCENARIO=a,b` runs the scenarios whose names contain `a` or `b`;
//! `WEIR_SCENARIO_PRINT=1` prints the changelog Weir printed for each. A scenario whose
//! `meta.json` says `"p2_deterministic": false` runs at parallelism 1 only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use weir_sql::session::{JobSettings, ResultSink, Session};

struct Rows(Vec<String>);

impl ResultSink for Rows {
    fn row(&mut self, line: &str) {
        self.0.push(line.to_string());
    }
    fn message(&mut self, _: &str) {}
}

/// How a column's values are compared.
#[derive(Debug, Clone, Copy)]
enum Class {
    Int,
    Decimal(u32),
    Double,
    Float,
    Bool,
    Str,
    Timestamp,
    Date,
    Time,
    Other,
}

fn class_of(flink_type: &str) -> Class {
    let t = flink_type.to_uppercase().replace("*ROWTIME*", "").replace("*PROCTIME*", "").replace("NOT NULL", "");
    let t = t.trim();
    let word = t.split(|c: char| !c.is_ascii_alphanumeric() && c != '_').next().unwrap_or("");
    match word {
        "TIMESTAMP" | "TIMESTAMP_LTZ" => Class::Timestamp,
        "DATE" => Class::Date,
        "TIME" => Class::Time,
        "DECIMAL" | "NUMERIC" | "DEC" => {
            let args = t.split_once('(').map(|(_, a)| a.trim_end_matches(')')).unwrap_or("");
            let scale = args.split(',').nth(1).and_then(|s| s.trim().parse().ok()).unwrap_or(0);
            Class::Decimal(scale)
        }
        "DOUBLE" => Class::Double,
        "FLOAT" | "REAL" => Class::Float,
        "TINYINT" | "SMALLINT" | "INT" | "INTEGER" | "BIGINT" => Class::Int,
        "BOOLEAN" => Class::Bool,
        "CHAR" | "VARCHAR" | "STRING" => Class::Str,
        _ => Class::Other,
    }
}

/// A value as read: from JSON (Flink's expected rows, Weir's JSON files) or as the text of
/// a print-style changelog line.
enum Raw<'a> {
    Json(&'a serde_json::Value),
    Text(&'a str),
}

/// Decimal text rounded half-up to `scale` digits, `-0` as `0`.
fn round_decimal(text: &str, scale: u32) -> String {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.trim_start_matches('+')),
    };
    let (mantissa, exponent) = match digits.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (digits, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: String = format!("{int_part}{frac_part}");
    // Value = all × 10^(exponent − len(frac)); we want it × 10^scale, rounded.
    let shift = exponent - frac_part.len() as i32 + scale as i32;
    let mut value: i128 = all.parse().unwrap_or(0);
    if shift >= 0 {
        value *= 10i128.pow(shift as u32);
    } else {
        let div = 10i128.pow((-shift) as u32);
        value = (value + div / 2) / div;
    }
    let negative = negative && value != 0;
    let s = value.to_string();
    let s = if scale > 0 {
        let padded = format!("{:0>width$}", s, width = scale as usize + 1);
        let (i, f) = padded.split_at(padded.len() - scale as usize);
        format!("{i}.{f}")
    } else {
        s
    };
    if negative {
        format!("-{s}")
    } else {
        s
    }
}

/// `2025-01-01T00:00:10` or `…10.5` as `2025-01-01 00:00:10.500`; epoch millis too.
fn canonical_timestamp(text: &str) -> String {
    let text = text.trim().trim_end_matches('Z');
    if let Ok(ms) = text.parse::<i64>() {
        let t = chrono::DateTime::from_timestamp_millis(ms).expect("timestamp in range");
        return t.format("%Y-%m-%d %H:%M:%S%.3f").to_string();
    }
    let (date, time) = text.split_once([' ', 'T']).unwrap_or((text, "00:00"));
    format!("{date} {}", canonical_time(time))
}

fn canonical_time(text: &str) -> String {
    let (hms, frac) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    let mut parts: Vec<String> = hms.split(':').map(|p| format!("{:0>2}", p)).collect();
    while parts.len() < 3 {
        parts.push("00".into());
    }
    let frac: String = format!("{frac:0<3}").chars().take(3).collect();
    format!("{}.{frac}", parts.join(":"))
}

fn canonical_float(x: f64, digits: usize) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if x == 0.0 {
        "0".into()
    } else {
        format!("{:.*e}", digits - 1, x)
    }
}

/// The canonical text of one value of class `class` (`None` for NULL).
fn canonical(raw: Raw<'_>, class: Class) -> Option<String> {
    let text: String = match raw {
        Raw::Json(serde_json::Value::Null) => return None,
        Raw::Text("null") | Raw::Text("<NULL>") => return None,
        Raw::Json(serde_json::Value::String(s)) => s.clone(),
        Raw::Json(nested @ (serde_json::Value::Array(_) | serde_json::Value::Object(_))) => {
            let mut text = String::new();
            python_json(nested, &mut text);
            text
        }
        Raw::Json(other) => other.to_string(),
        Raw::Text(t) => t.to_string(),
    };
    Some(match class {
        Class::Int => round_decimal(&text, 0),
        Class::Decimal(scale) => round_decimal(&text, scale),
        Class::Double => canonical_float(text.trim().parse().expect("a DOUBLE value"), 12),
        Class::Float => canonical_float(text.trim().parse().expect("a FLOAT value"), 6),
        Class::Bool => text.trim().to_lowercase(),
        Class::Timestamp => canonical_timestamp(&text),
        Class::Time => canonical_time(&text),
        Class::Date | Class::Str | Class::Other => text,
    })
}

/// A nested value (ROW, ARRAY, MAP column) as canon.py writes it: Python's `json.dumps` with
/// sorted keys and `", "` / `": "` separators, of the value read with DECIMAL numbers (those
/// with a fraction or exponent) turned into strings.
fn python_json(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match v {
        Value::String(s) if s.starts_with(DECIMAL_MARK) => {
            out.push_str(&Value::String(s[DECIMAL_MARK.len()..].to_string()).to_string())
        }
        Value::Number(n) if !(n.is_i64() || n.is_u64()) => out.push_str(&Value::String(n.to_string()).to_string()),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                python_json(item, out);
            }
            out.push(']');
        }
        Value::Object(fields) => {
            let mut keys: Vec<&String> = fields.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push_str(": ");
                python_json(&fields[k], out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Prefix of a string standing for a DECIMAL number of a nested value (see
/// [`mark_nested_decimals`]).
const DECIMAL_MARK: &str = "\u{0}D:";

/// `line` (a JSON object) with each number that has a fraction or exponent inside a nested
/// value replaced by a string of [`DECIMAL_MARK`] and the number as Python's `Decimal` writes
/// it: canon.py reads them as `Decimal` and writes their text, which depends on how the
/// number was written (`1E+8`, `100000000.0`), not only on its value.
fn mark_nested_decimals(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => depth += 1,
            '}' | ']' => depth = depth.saturating_sub(1),
            '-' | '0'..='9' if depth >= 2 => {
                let mut end = i + c.len_utf8();
                while let Some(&(j, d)) = chars.peek() {
                    if !matches!(d, '0'..='9' | '.' | 'e' | 'E' | '+' | '-') {
                        break;
                    }
                    end = j + d.len_utf8();
                    chars.next();
                }
                let number = &line[i..end];
                if number.contains(['.', 'e', 'E']) {
                    out.push_str(
                        &serde_json::Value::String(format!("{DECIMAL_MARK}{}", python_decimal(number))).to_string(),
                    );
                } else {
                    out.push_str(number);
                }
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// A JSON number's text as Python's `str(Decimal(text))`: the digits as written (leading
/// zeros dropped), plain when the exponent is at most 0 and the adjusted exponent at least
/// -6, else scientific with `E+n` / `E-n`.
fn python_decimal(number: &str) -> String {
    let (negative, rest) = match number.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, number),
    };
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(k) => (&rest[..k], rest[k + 1..].parse::<i64>().unwrap_or(0)),
        None => (rest, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    let trimmed = digits.trim_start_matches('0');
    let digits = if trimmed.is_empty() { "0" } else { trimmed };
    let exponent = exp - fraction.len() as i64;
    let adjusted = exponent + digits.len() as i64 - 1;
    let mut text = String::from(if negative { "-" } else { "" });
    if exponent <= 0 && adjusted >= -6 {
        let point = digits.len() as i64 + exponent;
        if exponent == 0 {
            text.push_str(digits);
        } else if point <= 0 {
            text.push_str("0.");
            text.push_str(&"0".repeat((-point) as usize));
            text.push_str(digits);
        } else {
            text.push_str(&digits[..point as usize]);
            text.push('.');
            text.push_str(&digits[point as usize..]);
        }
    } else {
        text.push_str(&digits[..1]);
        if digits.len() > 1 {
            text.push('.');
            text.push_str(&digits[1..]);
        }
        text.push_str(&format!("E{}{}", if adjusted < 0 { "-" } else { "+" }, adjusted.abs()));
    }
    text
}

#[test]
fn nested_decimals_are_written_as_python_writes_them() {
    for (json, python) in [
        ("1.5E20", "1.5E+20"),
        ("1.5e+20", "1.5E+20"),
        ("1E+8", "1E+8"),
        ("100000000.0", "100000000.0"),
        ("1.5E-9", "1.5E-9"),
        ("0.001234567125", "0.001234567125"),
        ("0.0", "0.0"),
        ("-0.0", "-0.0"),
        ("0.00", "0.00"),
        ("1.50", "1.50"),
        ("-0.0001", "-0.0001"),
        ("1e-7", "1E-7"),
        ("12345678900000.0", "12345678900000.0"),
    ] {
        assert_eq!(python_decimal(json), python, "{json}");
    }
    let line = r#"{"a": 1.5, "b": [1.5, 2, "x\"1.5"], "c": {"d": -2.50e1}}"#;
    let marked: serde_json::Value = serde_json::from_str(&mark_nested_decimals(line)).unwrap();
    assert_eq!(marked["a"], serde_json::json!(1.5), "a column's own number stays a number");
    let mut text = String::new();
    python_json(&marked["b"], &mut text);
    assert_eq!(text, r#"["1.5", 2, "x\"1.5"]"#);
    text.clear();
    python_json(&marked["c"], &mut text);
    assert_eq!(text, r#"{"d": "-25.0"}"#);
}

type Row = Vec<Option<String>>;

/// Rows of JSON-lines files under `dir` (recursively), skipping files not yet committed.
fn read_json_rows(dir: &Path, columns: &[(String, Class)], rows: &mut Vec<Row>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_lowercase();
        if name.starts_with('.') || name.starts_with('_') || name.contains("inprogress") || name.contains("pending") {
            continue;
        }
        if path.is_dir() {
            read_json_rows(&path, columns, rows);
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines().filter(|l| !l.trim().is_empty()) {
            let object: serde_json::Value = serde_json::from_str(&mark_nested_decimals(line)).unwrap();
            let object = object.as_object().unwrap();
            let by_lower: BTreeMap<String, &serde_json::Value> =
                object.iter().map(|(k, v)| (k.to_lowercase(), v)).collect();
            let null = serde_json::Value::Null;
            rows.push(
                columns
                    .iter()
                    .map(|(c, class)| canonical(Raw::Json(by_lower.get(&c.to_lowercase()).unwrap_or(&&null)), *class))
                    .collect(),
            );
        }
    }
}

/// The final table of a print-style changelog.
fn fold_changelog(lines: &[String], columns: &[(String, Class)]) -> Result<Vec<Row>, String> {
    let mut table: BTreeMap<Row, i64> = BTreeMap::new();
    for line in lines {
        let Some(kind) = line.get(..2) else { continue };
        let Some(body) = line.get(3..line.len().saturating_sub(1)) else { continue };
        let values: Vec<&str> = if columns.len() == 1 { vec![body] } else { body.split(", ").collect() };
        if values.len() != columns.len() {
            return Err(format!("{line}: {} values for {} columns", values.len(), columns.len()));
        }
        let row: Row = values.iter().zip(columns).map(|(v, (_, class))| canonical(Raw::Text(v), *class)).collect();
        let count = table.entry(row.clone()).or_insert(0);
        match kind {
            "+I" | "+U" => *count += 1,
            "-U" | "-D" => *count -= 1,
            _ => return Err(format!("not a changelog row: {line}")),
        }
        if *count < 0 {
            return Err(format!("{line} retracts a row that is not in the result"));
        }
    }
    Ok(table.into_iter().flat_map(|(row, n)| std::iter::repeat_n(row, n as usize)).collect())
}

fn run_scenario(dir: &Path, parallelism: usize) -> Result<(), String> {
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap();
    let columns: Vec<(String, Class)> = meta["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().to_string(), class_of(c["type"].as_str().unwrap_or("STRING"))))
        .collect();
    let out = tempfile::tempdir().unwrap();
    let script = std::fs::read_to_string(dir.join("query.sql"))
        .unwrap()
        .replace("${DATA}", dir.join("data").to_str().unwrap())
        .replace("${OUT}", out.path().to_str().unwrap());
    let mut session = Session::new(JobSettings { parallelism, ..Default::default() });
    let mut printed = Rows(Vec::new());
    session.execute_script(&script, &mut printed).map_err(|e| e.render(&script))?;
    if std::env::var_os("WEIR_SCENARIO_PRINT").is_some() {
        eprintln!("{} at parallelism {parallelism}:\n{}", dir.display(), printed.0.join("\n"));
    }
    let mut got = match meta["kind"].as_str() {
        Some("updating") => fold_changelog(&printed.0, &columns)?,
        _ => {
            let mut rows = Vec::new();
            read_json_rows(out.path(), &columns, &mut rows);
            rows
        }
    };
    got.sort();
    let mut expected: Vec<Row> = std::fs::read_to_string(dir.join("expected.canon"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v.as_array().unwrap().iter().zip(&columns).map(|(v, (_, class))| canonical(Raw::Json(v), *class)).collect()
        })
        .collect();
    expected.sort();
    if got == expected {
        return Ok(());
    }
    let missing: Vec<&Row> = expected.iter().filter(|e| !got.contains(e)).take(5).collect();
    let extra: Vec<&Row> = got.iter().filter(|g| !expected.contains(g)).take(5).collect();
    Err(format!("{} rows, Flink gave {}; missing {missing:?}; extra {extra:?}", got.len(), expected.len()))
}

fn scenarios() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("meta.json").is_file() && p.join("expected.canon").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// Runs every scenario at `parallelism` (or those whose names contain one of the
/// comma-separated words of `WEIR_SCENARIO`), listing all that differ from Flink.
fn every_scenario_at(parallelism: usize) {
    let filter = std::env::var("WEIR_SCENARIO").unwrap_or_default();
    let words: Vec<&str> = filter.split(',').map(str::trim).collect();
    let mut failures = Vec::new();
    let mut ran = 0;
    for dir in scenarios() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        if !words.iter().any(|w| name.contains(w)) {
            continue;
        }
        // A result that depends on the order rows from several subtasks meet in (LISTAGG after
        // an exchange) is Flink's at parallelism 1 only.
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap();
        ran += 1;
        if parallelism > 1 && meta["p2_deterministic"] == serde_json::Value::Bool(false) {
            continue;
        }
        if let Err(e) = run_scenario(&dir, parallelism) {
            failures.push(format!("{name} at parallelism {parallelism}: {e}"));
        }
    }
    assert!(ran > 0, "no scenario matched WEIR_SCENARIO={filter:?}");
    assert!(failures.is_empty(), "{} of {ran} scenarios differ from Flink:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_scenario_equals_flink() {
    every_scenario_at(1);
}

#[test]
fn every_scenario_equals_flink_in_parallel() {
    every_scenario_at(2);
}

#[test]
fn canonical_values_follow_the_harness_rules() {
    assert_eq!(round_decimal("12.345", 2), "12.35");
    assert_eq!(round_decimal("-0.001", 2), "0.00");
    assert_eq!(round_decimal("1e3", 1), "1000.0");
    assert_eq!(round_decimal("7", 3), "7.000");
    assert_eq!(canonical_timestamp("2025-01-01T00:00:10.5"), "2025-01-01 00:00:10.500");
    assert_eq!(canonical_timestamp("2025-01-01 00:00"), "2025-01-01 00:00:00.000");
    assert_eq!(canonical_timestamp("0"), "1970-01-01 00:00:00.000");
    assert_eq!(canonical_float(1.0 / 3.0, 12), canonical_float(0.333333333333, 12));
    let nested: serde_json::Value = serde_json::from_str(r#"{"b": [1, 2.5], "a": {"s": "é"}}"#).unwrap();
    assert_eq!(canonical(Raw::Json(&nested), Class::Other).unwrap(), r#"{"a": {"s": "é"}, "b": [1, "2.5"]}"#);
    let columns = vec![("k".to_string(), Class::Str), ("n".to_string(), Class::Int)];
    let lines: Vec<String> = ["+I[a, 1]", "-U[a, 1]", "+U[a, 2]", "+I[b, 1]", "-D[b, 1]"].map(String::from).to_vec();
    assert_eq!(fold_changelog(&lines, &columns).unwrap(), vec![vec![Some("a".into()), Some("2".into())]]);
    let bad: Vec<String> = vec!["-D[c, 1]".into()];
    assert!(fold_changelog(&bad, &columns).is_err());
}
