package weir.nexmark;

import org.apache.flink.table.functions.ScalarFunction;

/**
 * Nexmark q14's user function for Apache Flink: how often the first character of {@code c}
 * occurs in {@code s} (NULL when either is NULL), the same as Weir's built-in
 * {@code weir.nexmark.CountChar}. Compiled by benches/nexmark_sql_vs_flink.sh.
 */
public class CountChar extends ScalarFunction {
    public Long eval(String s, String c) {
        if (s == null || c == null || c.isEmpty()) {
            return null;
        }
        int ch = c.codePointAt(0);
        long n = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (cp == ch) {
                n++;
            }
            i += Character.charCount(cp);
        }
        return n;
    }
}
