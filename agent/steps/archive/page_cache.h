/* page_cache.h -- online work leaves the page cache as it found it: the pages of what it read or wrote are
 * dropped once done with (posix_fadvise DONTNEED), so a base copy does not evict production's cached pages. */
#ifndef ALFUP_PAGE_CACHE_H
#define ALFUP_PAGE_CACHE_H

#include <stddef.h>
#include <stdint.h>

/* Written bytes kept in the cache before they are flushed and dropped; also the read-side drop interval. */
#define PAGE_CACHE_WINDOW (32u * 1024u * 1024u)
#define PAGE_CACHE_RING 64 /* written files kept open (their writeback started) before they are dropped */

/* All of these are advice: a failure changes only what stays cached, never the data, so none is reported. */

/* The file fd is about to be read once, from start to end. */
void page_cache_read_once(int fd);

/* Drops fd's clean pages (all of a file read fully; a written file only once its data was synced). */
void page_cache_drop(int fd);

/* A file read or written front to back through one descriptor (an archive). */
typedef struct page_cache_stream {
    int fd;
    int writing;
    uint64_t pos;     /* bytes passed so far */
    uint64_t kicked;  /* writing: writeback started up to here */
    uint64_t dropped; /* dropped up to here */
} page_cache_stream_t;

void page_cache_stream_init(page_cache_stream_t *stream, int fd, int writing);

/* n more bytes were read or written. Reading: every PAGE_CACHE_WINDOW the part already consumed is dropped.
 * Writing: every PAGE_CACHE_WINDOW, writeback of the new window is started (sync_file_range WRITE) and the
 * window before it is waited for and dropped, so at most two windows stay cached. */
void page_cache_stream_advance(page_cache_stream_t *stream, size_t n);

/* Files written by someone else (libarchive's disk writer), dropped a little later: each is opened again by
 * path when it is finished, its writeback started, and once PAGE_CACHE_RING files or PAGE_CACHE_WINDOW bytes
 * are pending, the oldest is waited for and dropped. */
typedef struct page_cache_ring {
    int fds[PAGE_CACHE_RING];
    uint64_t sizes[PAGE_CACHE_RING];
    size_t head, count;
    uint64_t bytes;
} page_cache_ring_t;

void page_cache_ring_init(page_cache_ring_t *ring);

/* The regular file at path (size bytes) was just written and closed. */
void page_cache_ring_push(page_cache_ring_t *ring, const char *path, uint64_t size);

/* Waits for, drops and closes every pending file. */
void page_cache_ring_flush(page_cache_ring_t *ring);

#endif
