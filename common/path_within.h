/* path_within.h -- is one canonical path the same as, or inside, another? */
#ifndef ALFUP_PATH_WITHIN_H
#define ALFUP_PATH_WITHIN_H

/* 1 when canonical path equals root or lies inside it ("/" holds every path), else 0.
 * Compares text only: both paths must already be canonical. */
int path_is_within(const char *path, const char *root);

#endif
