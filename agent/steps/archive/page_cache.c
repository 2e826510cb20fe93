/* page_cache.c -- dropping the pages online work read or wrote, so production's cache survives a base copy. */
#include "page_cache.h"

#include <fcntl.h>
#include <unistd.h>

#define SYNC_ALL (SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)

void page_cache_read_once(int fd)
{
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_NOREUSE);
}

void page_cache_drop(int fd)
{
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

void page_cache_stream_init(page_cache_stream_t *stream, int fd, int writing)
{
    *stream = (page_cache_stream_t){.fd = fd, .writing = writing};
    if (!writing)
        page_cache_read_once(fd);
}

void page_cache_stream_advance(page_cache_stream_t *stream, size_t n)
{
    stream->pos += n;
    if (!stream->writing) {
        if (stream->pos - stream->dropped >= PAGE_CACHE_WINDOW) {
            (void)posix_fadvise(stream->fd, (off_t)stream->dropped, (off_t)(stream->pos - stream->dropped),
                                POSIX_FADV_DONTNEED);
            stream->dropped = stream->pos;
        }
        return;
    }
    if (stream->pos - stream->kicked < PAGE_CACHE_WINDOW)
        return;
    if (stream->kicked > stream->dropped) {
        off_t from = (off_t)stream->dropped, len = (off_t)(stream->kicked - stream->dropped);
        if (sync_file_range(stream->fd, from, len, SYNC_ALL) == 0)
            (void)posix_fadvise(stream->fd, from, len, POSIX_FADV_DONTNEED);
        stream->dropped = stream->kicked;
    }
    (void)sync_file_range(stream->fd, (off_t)stream->kicked, (off_t)(stream->pos - stream->kicked),
                          SYNC_FILE_RANGE_WRITE);
    stream->kicked = stream->pos;
}

void page_cache_ring_init(page_cache_ring_t *ring)
{
    *ring = (page_cache_ring_t){.count = 0};
}

static void ring_pop(page_cache_ring_t *ring)
{
    int fd = ring->fds[ring->head];
    if (sync_file_range(fd, 0, 0, SYNC_ALL) == 0)
        page_cache_drop(fd);
    close(fd);
    ring->bytes -= ring->sizes[ring->head];
    ring->head = (ring->head + 1) % PAGE_CACHE_RING;
    ring->count--;
}

void page_cache_ring_push(page_cache_ring_t *ring, const char *path, uint64_t size)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return;
    (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    if (ring->count == PAGE_CACHE_RING)
        ring_pop(ring);
    size_t slot = (ring->head + ring->count) % PAGE_CACHE_RING;
    ring->fds[slot] = fd;
    ring->sizes[slot] = size;
    ring->count++;
    ring->bytes += size;
    while (ring->count > 1 && ring->bytes > PAGE_CACHE_WINDOW)
        ring_pop(ring);
}

void page_cache_ring_flush(page_cache_ring_t *ring)
{
    while (ring->count > 0)
        ring_pop(ring);
}
