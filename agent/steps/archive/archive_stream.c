/* archive_stream.c -- read/write callbacks for libarchive that also compute the file's sha-256. */
#include "archive_stream.h"

#include "page_cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARCHIVE_STREAM_BLOCK (1024u * 1024u)
#define ARCHIVE_STREAM_QUEUE 4 /* blocks in flight between libarchive and the I/O thread */

/* Writing: libarchive's callback copies each block into this queue; a thread
 * hashes and writes them, so the thread that reads, hashes and compresses the
 * trees does not also wait on write(2) and on hashing the output.
 * Reading: a thread reads ahead into the queue and hashes each block; libarchive
 * gets the blocks in order without a copy, so the thread that decompresses,
 * hashes every file and writes the restored tree does not also wait on read(2)
 * and on hashing the archive (the slot handed out stays counted until the next
 * read callback, so the reader never overwrites it). */
typedef struct block_queue {
    unsigned char *blocks[ARCHIVE_STREAM_QUEUE];
    size_t sizes[ARCHIVE_STREAM_QUEUE]; /* allocated */
    size_t lens[ARCHIVE_STREAM_QUEUE];  /* filled */
    size_t head, count;
    int closing, failed, started;
    int reading, eof, handed; /* reading: the queue is read ahead; the reader saw the end; blocks[head] is with libarchive */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    pthread_t thread;
} block_queue_t;

struct archive_stream {
    int fd;
    const char *path;
    archive_digest_t *digest;
    uint64_t bytes;
    int locked;           /* the queue's lock and condition exist */
    alfup_err_t io_err;   /* written by the I/O thread (writer or reader) only until it is joined */
    int has_io_err;
    int drop_cache; /* online: the file's pages are dropped behind the I/O (page_cache.h) */
    page_cache_stream_t cache;
    block_queue_t queue;
};

archive_stream_t *archive_stream_new(int fd, const char *path, alfup_err_t *err)
{
    archive_stream_t *stream = calloc(1, sizeof *stream);
    if (stream == NULL)
        return alfup_err_set(err, "%s: out of memory", path), NULL;
    stream->fd = fd;
    stream->path = path;
    stream->digest = archive_digest_new(err);
    if (stream->digest == NULL) {
        archive_stream_destroy(&stream);
        return NULL;
    }
    if (pthread_mutex_init(&stream->queue.lock, NULL) != 0) {
        alfup_err_set(err, "%s: cannot create a lock", path);
        archive_stream_destroy(&stream);
        return NULL;
    }
    if (pthread_cond_init(&stream->queue.changed, NULL) != 0) {
        pthread_mutex_destroy(&stream->queue.lock);
        alfup_err_set(err, "%s: cannot create a lock", path);
        archive_stream_destroy(&stream);
        return NULL;
    }
    stream->locked = 1;
    return stream;
}

/* Writes and hashes one block (writer thread). 0 or -1 with io_err set. */
static int write_block(archive_stream_t *stream, const unsigned char *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(stream->fd, buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            alfup_err_errno(&stream->io_err, n < 0 ? errno : ENOSPC, "write %s", stream->path);
            return -1;
        }
        done += (size_t)n;
    }
    if (stream->drop_cache)
        page_cache_stream_advance(&stream->cache, len);
    if (archive_digest_update(stream->digest, buf, len, &stream->io_err) != ALFUP_OK)
        return -1;
    stream->bytes += len;
    return 0;
}

static void *writer_thread(void *arg)
{
    archive_stream_t *stream = arg;
    block_queue_t *q = &stream->queue;
    pthread_mutex_lock(&q->lock);
    for (;;) {
        while (q->count == 0 && !q->closing)
            pthread_cond_wait(&q->changed, &q->lock);
        if (q->count == 0)
            break;
        size_t slot = q->head;
        pthread_mutex_unlock(&q->lock);
        int rc = q->failed ? 0 : write_block(stream, q->blocks[slot], q->lens[slot]);
        pthread_mutex_lock(&q->lock);
        if (rc != 0)
            q->failed = 1;
        q->head = (q->head + 1) % ARCHIVE_STREAM_QUEUE;
        q->count--;
        pthread_cond_broadcast(&q->changed);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

/* Tells the queue's thread, if it runs, to close (it may be waiting for a slot
 * or a block) and waits for it. */
static void queue_thread_stop(block_queue_t *q)
{
    if (!q->started)
        return;
    pthread_mutex_lock(&q->lock);
    q->closing = 1;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
    pthread_join(q->thread, NULL);
    q->started = 0;
}

/* Stops the writer thread after it wrote what is queued. 0, or -1 when a write failed. */
static int writer_join(archive_stream_t *stream)
{
    block_queue_t *q = &stream->queue;
    queue_thread_stop(q);
    if (q->failed)
        stream->has_io_err = 1;
    return q->failed ? -1 : 0;
}

static ssize_t stream_write(struct archive *a, void *arg, const void *buf, size_t len)
{
    archive_stream_t *stream = arg;
    block_queue_t *q = &stream->queue;
    pthread_mutex_lock(&q->lock);
    while (q->count == ARCHIVE_STREAM_QUEUE && !q->failed)
        pthread_cond_wait(&q->changed, &q->lock);
    int failed = q->failed;
    size_t slot = (q->head + q->count) % ARCHIVE_STREAM_QUEUE;
    pthread_mutex_unlock(&q->lock);
    if (failed) {
        writer_join(stream);
        archive_set_error(a, EIO, "%s", stream->io_err.msg);
        return -1;
    }
    /* the slot is free: only this thread fills slots, the writer only drains them */
    if (q->sizes[slot] < len) {
        unsigned char *grown = realloc(q->blocks[slot], len);
        if (grown == NULL) {
            archive_set_error(a, ENOMEM, "%s: out of memory", stream->path);
            return -1;
        }
        q->blocks[slot] = grown;
        q->sizes[slot] = len;
    }
    memcpy(q->blocks[slot], buf, len);
    q->lens[slot] = len;
    pthread_mutex_lock(&q->lock);
    q->count++;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
    return (ssize_t)len;
}

static int stream_close(struct archive *a, void *arg)
{
    archive_stream_t *stream = arg;
    if (writer_join(stream) != 0) {
        archive_set_error(a, EIO, "%s", stream->io_err.msg);
        return ARCHIVE_FATAL;
    }
    return ARCHIVE_OK;
}

/* Reads and hashes one block into slot (reader thread). Its length (0 at the
 * end), or -1 with io_err set. */
static ssize_t read_block(archive_stream_t *stream, size_t slot)
{
    block_queue_t *q = &stream->queue;
    ssize_t n;
    do
        n = read(stream->fd, q->blocks[slot], ARCHIVE_STREAM_BLOCK);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        alfup_err_errno(&stream->io_err, errno, "read %s", stream->path);
        return -1;
    }
    if (archive_digest_update(stream->digest, q->blocks[slot], (size_t)n, &stream->io_err) != ALFUP_OK)
        return -1;
    stream->bytes += (uint64_t)n;
    if (stream->drop_cache)
        page_cache_stream_advance(&stream->cache, (size_t)n);
    return n;
}

static void *reader_thread(void *arg)
{
    archive_stream_t *stream = arg;
    block_queue_t *q = &stream->queue;
    pthread_mutex_lock(&q->lock);
    while (!q->eof && !q->failed) {
        while (q->count == ARCHIVE_STREAM_QUEUE && !q->closing)
            pthread_cond_wait(&q->changed, &q->lock);
        if (q->closing)
            break;
        size_t slot = (q->head + q->count) % ARCHIVE_STREAM_QUEUE;
        pthread_mutex_unlock(&q->lock);
        ssize_t n = read_block(stream, slot);
        pthread_mutex_lock(&q->lock);
        if (n < 0)
            q->failed = 1;
        else if (n == 0)
            q->eof = 1;
        else {
            q->lens[slot] = (size_t)n;
            q->count++;
        }
        pthread_cond_broadcast(&q->changed);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

/* The next block read ahead (*block, its length), 0 at the end, or -1 when
 * the reader failed (has_io_err set). Gives the block handed out before back. */
static ssize_t next_block(archive_stream_t *stream, const void **block)
{
    block_queue_t *q = &stream->queue;
    pthread_mutex_lock(&q->lock);
    if (q->handed) {
        q->handed = 0;
        q->head = (q->head + 1) % ARCHIVE_STREAM_QUEUE;
        q->count--;
        pthread_cond_broadcast(&q->changed);
    }
    while (q->count == 0 && !q->eof && !q->failed)
        pthread_cond_wait(&q->changed, &q->lock);
    ssize_t n = q->count > 0 ? (ssize_t)q->lens[q->head] : q->failed ? -1 : 0;
    if (q->count > 0) {
        *block = q->blocks[q->head];
        q->handed = 1;
    } else if (q->failed) {
        stream->has_io_err = 1;
    }
    pthread_mutex_unlock(&q->lock);
    return n;
}

static ssize_t stream_read(struct archive *a, void *arg, const void **buf)
{
    archive_stream_t *stream = arg;
    ssize_t n = next_block(stream, buf);
    if (n < 0)
        archive_set_error(a, EIO, "%s", stream->io_err.msg);
    return n;
}

void archive_stream_drop_cache(archive_stream_t *stream, int writing)
{
    stream->drop_cache = 1;
    page_cache_stream_init(&stream->cache, stream->fd, writing);
}

int archive_stream_open_write(archive_stream_t *stream, struct archive *a, alfup_err_t *err)
{
    block_queue_t *q = &stream->queue;
    if (pthread_create(&q->thread, NULL, writer_thread, stream) != 0)
        return alfup_err_set(err, "%s: cannot start the writer thread", stream->path);
    q->started = 1;
    if (archive_write_open(a, stream, NULL, stream_write, stream_close) != ARCHIVE_OK)
        return alfup_err_set(err, "%s: %s", stream->path, archive_error_string(a));
    return ALFUP_OK;
}

int archive_stream_open_read(archive_stream_t *stream, struct archive *a, alfup_err_t *err)
{
    block_queue_t *q = &stream->queue;
    for (size_t i = 0; i < ARCHIVE_STREAM_QUEUE; i++) {
        if ((q->blocks[i] = malloc(ARCHIVE_STREAM_BLOCK)) == NULL)
            return alfup_err_set(err, "%s: out of memory", stream->path);
        q->sizes[i] = ARCHIVE_STREAM_BLOCK;
    }
    q->reading = 1;
    if (pthread_create(&q->thread, NULL, reader_thread, stream) != 0)
        return alfup_err_set(err, "%s: cannot start the reader thread", stream->path);
    q->started = 1;
    if (archive_read_open(a, stream, NULL, stream_read, NULL) != ARCHIVE_OK)
        return alfup_err_set(err, "%s: %s", stream->path, archive_error_string(a));
    return ALFUP_OK;
}

int archive_stream_drain(archive_stream_t *stream, alfup_err_t *err)
{
    const void *block;
    ssize_t n;
    while ((n = next_block(stream, &block)) > 0)
        continue;
    queue_thread_stop(&stream->queue);
    if (n < 0)
        return alfup_err_set(err, "%s", stream->io_err.msg);
    return ALFUP_OK;
}

int archive_stream_sha256(archive_stream_t *stream, char hex[ARCHIVE_DIGEST_HEX_LEN + 1], alfup_err_t *err)
{
    return archive_digest_final_hex(stream->digest, hex, err);
}

uint64_t archive_stream_bytes(const archive_stream_t *stream)
{
    return stream->bytes;
}

const char *archive_stream_io_error(const archive_stream_t *stream)
{
    return stream->has_io_err ? stream->io_err.msg : NULL;
}

void archive_stream_destroy(archive_stream_t **stream_p)
{
    if (stream_p == NULL || *stream_p == NULL)
        return;
    archive_stream_t *stream = *stream_p;
    if (stream->queue.reading)
        queue_thread_stop(&stream->queue);
    else
        writer_join(stream);
    for (size_t i = 0; i < ARCHIVE_STREAM_QUEUE; i++)
        free(stream->queue.blocks[i]);
    if (stream->locked) {
        pthread_mutex_destroy(&stream->queue.lock);
        pthread_cond_destroy(&stream->queue.changed);
    }
    archive_digest_destroy(&stream->digest);
    free(stream);
    *stream_p = NULL;
}
