//! Per-seed constant tables of the Nexmark generator: the name and place lists, the
//! channel/url table, and the random pool that `extra` padding is cut from.
//!
//! Built once per source (a few milliseconds) and shared read-only by every reader, so
//! the hot path only indexes and copies — as Flink's generator does with its
//! `CHANNEL_URL_CACHE` and its reusable random string.

use super::random::{mix64, SplitMix64};

/// First names of persons.
pub const FIRST_NAMES: [&str; 11] =
    ["Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"];
/// Last names of persons.
pub const LAST_NAMES: [&str; 9] =
    ["Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"];
/// Cities of persons.
pub const US_CITIES: [&str; 10] =
    ["Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"];
/// States of persons.
pub const US_STATES: [&str; 6] = ["AZ", "CA", "ID", "OR", "WA", "WY"];
/// The four hot channels; half of all bids come through one of them.
pub const HOT_CHANNELS: [&str; 4] = ["Google", "Facebook", "Baidu", "Apple"];
/// Number of ordinary channels (`channel-0` … `channel-9999`).
pub const CHANNELS_NUMBER: usize = 10_000;
/// Length of the random pool `extra` strings are cut from. 64 KiB rather than upstream's
/// 1 MiB: cutting at random offsets of a pool that stays in the CPU cache is several
/// times cheaper, and 64 Ki offsets still make `extra` look random to every query.
pub const EXTRA_POOL_LEN: usize = 1 << 16;

/// Salt separating the tables' random stream from the events' streams.
const TABLES_SALT: u64 = 0x7AB1_E5EE_D000_0001;

/// The per-seed tables.
#[derive(Debug)]
pub struct NexmarkTables {
    /// The 99 "First Last" names, first name major.
    pub names: Vec<String>,
    /// Each channel's name then url, back to back, so that one lookup touches one
    /// place in memory (the table is about 1 MB; a random lookup is a cache miss).
    channel_text: String,
    /// Per channel: start in `channel_text`, name length, url length.
    channel_spans: Vec<(u32, u16, u16)>,
    /// [`EXTRA_POOL_LEN`] random letters `a`–`z`.
    pub extra_pool: String,
}

impl NexmarkTables {
    /// Builds the tables of `seed`.
    pub fn new(seed: u64) -> Self {
        let mut rng = SplitMix64::new(mix64(seed ^ TABLES_SALT));
        let names =
            FIRST_NAMES.iter().flat_map(|first| LAST_NAMES.iter().map(move |last| format!("{first} {last}"))).collect();

        let mut channel_text = String::with_capacity(1 << 20);
        let mut channel_spans = Vec::with_capacity(HOT_CHANNELS.len() + CHANNELS_NUMBER);
        let mut add = |name: &str, url: &str| {
            let start = u32::try_from(channel_text.len()).expect("the channel table is about 1 MB");
            channel_text.push_str(name);
            channel_text.push_str(url);
            channel_spans.push((start, name.len() as u16, url.len() as u16));
        };
        for hot in HOT_CHANNELS {
            add(hot, &base_url(&mut rng));
        }
        for i in 0..CHANNELS_NUMBER {
            let mut url = base_url(&mut rng);
            if rng.below(10) > 0 {
                url.push_str("&channel_id=");
                url.push_str(&channel_id(i as i32).to_string());
            }
            add(&format!("channel-{i}"), &url);
        }

        let extra_pool = (0..EXTRA_POOL_LEN).map(|_| char::from(b'a' + rng.below(26) as u8)).collect();
        NexmarkTables { names, channel_text, channel_spans, extra_pool }
    }

    /// Number of channels: the 4 hot ones, then `channel-0` … `channel-9999`.
    pub fn channel_count(&self) -> usize {
        self.channel_spans.len()
    }

    /// Channel `i`'s name and url. Hot channels (`i < 4`) have a fixed url; 9 in 10 of
    /// the others carry `&channel_id=<abs(reverse_bits_i32(i - 4))>`.
    #[inline]
    pub fn channel(&self, i: usize) -> (&str, &str) {
        let (start, name_len, url_len) = self.channel_spans[i];
        let start = start as usize;
        let name_end = start + usize::from(name_len);
        (&self.channel_text[start..name_end], &self.channel_text[name_end..name_end + usize::from(url_len)])
    }
}

/// Java's `Math.abs(Integer.reverse(i))` (which stays negative for `i32::MIN`, as Java's
/// does; no channel index reaches it).
pub fn channel_id(i: i32) -> i32 {
    i.reverse_bits().wrapping_abs()
}

/// `https://www.nexmark.com/<str5>/<str5>/<str5>/item.htm?query=1`, the path parts
/// drawn with `_` as the special character.
fn base_url(rng: &mut SplitMix64) -> String {
    let mut url = String::with_capacity(80);
    url.push_str("https://www.nexmark.com/");
    for _ in 0..3 {
        push_random_string(rng, 5, b'_', &mut url);
        url.push('/');
    }
    url.push_str("item.htm?query=1");
    url
}

/// Upstream's `nextString(random, max_len, special)`: a length uniform in
/// `[3, max_len - 1]`, each character `special` with probability 1/13, else a letter
/// `a`–`z`; trimmed of spaces. Appends it to `out`. `max_len` is at most 128.
#[inline]
pub fn push_random_string(rng: &mut SplitMix64, max_len: usize, special: u8, out: &mut String) {
    let len = 3 + rng.below(max_len as u64 - 3) as usize;
    let mut buf = [0u8; 128];
    let mut bits = 0u64;
    for (k, slot) in buf[..len].iter_mut().enumerate() {
        // Four characters per draw: 16 bits each, scaled to 338 = 13 * 26 outcomes; 26 of
        // them (1/13) are the special character, the other 312 are 12 of each letter.
        if k % 4 == 0 {
            bits = rng.next_u64();
        }
        let v = ((bits & 0xFFFF) * 338) >> 16;
        bits >>= 16;
        *slot = if v < 26 { special } else { b'a' + ((v - 26) % 26) as u8 };
    }
    let text = std::str::from_utf8(&buf[..len]).expect("letters and the special character are ASCII");
    out.push_str(if special == b' ' { text.trim_matches(' ') } else { text });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_ids_follow_java() {
        // (i, Math.abs(Integer.reverse(i))); Java's abs leaves MIN_VALUE negative.
        let cases = [
            (0, 0),
            (1, i32::MIN),
            (2, 1 << 30),
            (3, 1 << 30),
            (5, 0x6000_0000),
            (6, 0x6000_0000),
            (9999, 0x0F1C_0000),
        ];
        for (i, id) in cases {
            assert_eq!(channel_id(i), id, "{i}");
        }
    }

    #[test]
    fn tables_are_deterministic_and_well_formed() {
        let a = NexmarkTables::new(42);
        let b = NexmarkTables::new(42);
        let c = NexmarkTables::new(43);
        assert_eq!(a.channel_text, b.channel_text);
        assert_eq!(a.extra_pool, b.extra_pool);
        assert_ne!(a.channel_text, c.channel_text);
        assert_eq!(a.names.len(), 99);
        assert_eq!(a.names[0], "Peter Shultz");
        assert_eq!(a.channel_count(), 4 + CHANNELS_NUMBER);
        assert_eq!(a.channel(4 + 17).0, "channel-17");
        assert_eq!(a.channel(1).0, "Facebook");
        let urls: Vec<&str> = (0..a.channel_count()).map(|i| a.channel(i).1).collect();
        assert_eq!(a.extra_pool.len(), EXTRA_POOL_LEN);
        assert!(a.extra_pool.bytes().all(|c| c.is_ascii_lowercase()));
        for url in &urls {
            assert!(url.starts_with("https://www.nexmark.com/"), "{url}");
            assert!(url.contains("/item.htm?query=1"), "{url}");
        }
        let with_id = urls[4..].iter().filter(|u| u.contains("&channel_id=")).count();
        assert!((8_800..9_200).contains(&with_id), "{with_id}");
        for (i, url) in urls[4..].iter().enumerate() {
            if let Some((_, id)) = url.split_once("&channel_id=") {
                assert_eq!(id, channel_id(i as i32).to_string());
            }
        }
    }

    #[test]
    fn random_strings_have_the_right_shape() {
        let mut rng = SplitMix64::new(3);
        let mut spaces = 0usize;
        let mut chars = 0usize;
        for _ in 0..10_000 {
            let mut s = String::new();
            push_random_string(&mut rng, 20, b' ', &mut s);
            assert!(s.len() <= 19);
            assert!(!s.starts_with(' ') && !s.ends_with(' '));
            assert!(s.bytes().all(|c| c == b' ' || c.is_ascii_lowercase()));
            let mut raw = String::new();
            push_random_string(&mut rng, 100, b'_', &mut raw);
            assert!((3..=99).contains(&raw.len()));
            spaces += raw.bytes().filter(|&c| c == b'_').count();
            chars += raw.len();
        }
        let p = spaces as f64 / chars as f64;
        assert!((p - 1.0 / 13.0).abs() < 0.003, "{p}");
    }
}
