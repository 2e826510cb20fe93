/* standin_log.h -- timestamped log lines in the style of Alfresco's catalina.out / solr.log. */
#ifndef STANDIN_LOG_H
#define STANDIN_LOG_H

/* Appends "YYYY-MM-DD HH:MM:SS,mmm LEVEL [source] [main] text\n" to fd in one
 * write (text cut at 2 KiB). */
void standin_log(int fd, const char *level, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
