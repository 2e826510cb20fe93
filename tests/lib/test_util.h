/* test_util.h -- small things the C tests that run services share: a free loopback port, a file written
 * from a string. Each fails the test (cmocka) when it cannot do its job. */
#ifndef ALFUP_TEST_UTIL_H
#define ALFUP_TEST_UTIL_H

/* A TCP port on 127.0.0.1 that was free a moment ago (bound, read, closed). */
unsigned test_free_port(void);

/* Writes text to path (created or truncated). */
void test_write_text(const char *path, const char *text);

#endif
