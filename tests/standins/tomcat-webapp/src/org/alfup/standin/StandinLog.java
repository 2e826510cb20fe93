// StandinLog.java -- log lines in the C stand-ins' format, on stdout (catalina.out).
package org.alfup.standin;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/** `YYYY-MM-DD HH:MM:SS,mmm LEVEL [source] [main] text`, as tests/standins/standin_log.c writes. */
final class StandinLog {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS");

    private StandinLog() {
    }

    static void info(String source, String text) {
        log("INFO", source, text);
    }

    static synchronized void log(String level, String source, String text) {
        System.out.printf("%s %-5s [%s] [main] %s%n", LocalDateTime.now().format(STAMP), level, source, text);
        System.out.flush();
    }
}
