//! Word count: the streaming "hello world", as in Flink's examples.
//!
//! Reads text files (a file or a directory) — or a built-in verse when no path is given —
//! splits lines into words, counts each word with a keyed rolling sum and prints every
//! updated count, `N> (word, count)` per line.
//!
//! ```text
//! cargo run -p weir-examples --bin word_count -- [PATH] [--parallelism N]
//! ```

use weir::prelude::*;

const VERSE: &str = "To be, or not to be, that is the question:\n\
                     Whether 'tis nobler in the mind to suffer\n\
                     The slings and arrows of outrageous fortune,\n\
                     Or to take arms against a sea of troubles";

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut path = None;
    let mut parallelism = 2;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--parallelism" | "-p" => parallelism = args.next().unwrap_or_default().parse()?,
            _ => path = Some(a),
        }
    }

    let env = StreamExecutionEnvironment::new().with_parallelism(parallelism);
    let lines = match path {
        Some(p) => env.read_text_file(p),
        None => env.from_collection(VERSE.lines().map(String::from).collect()),
    };
    lines
        .flat_map(|line: String, out: &mut Collector<(String, u64)>| {
            for word in line.split(|c: char| !c.is_alphanumeric() && c != '\'').filter(|w| !w.is_empty()) {
                out.collect((word.to_lowercase(), 1));
            }
        })
        .name("Tokenizer")
        .key_by(|(word, _): &(String, u64)| word.clone())
        .sum(1)
        .map(|(word, count): (String, u64)| format!("({word}, {count})"))
        .print();
    env.execute("Streaming WordCount")?;
    Ok(())
}
