/*
 * source_internal.h - what the source_*.c files share and nobody else needs:
 * the common head of every source and its operations.
 */
#ifndef AALEARN_SOURCE_INTERNAL_H
#define AALEARN_SOURCE_INTERNAL_H

#include "daemon.h"

struct source_ops {
	int	(*read)(struct source *);
	int	(*position)(const struct source *, char *, size_t);
	int	(*fd)(const struct source *);
	void	(*free)(struct source *);
};

struct source {
	const struct source_ops *ops;
	enum source_type kind;
	char	 name[CONFIG_PATH_MAX + 8];
	struct source_sink sink;
	struct source_counts counts;
};

void source_init(struct source *, const struct source_ops *,
    enum source_type, const char *name, const struct source_sink *);
/* Hand one line to the sink and count it; notes the record's time. */
void source_emit_line(struct source *, const char *line, size_t len);
void source_emit_netlink(struct source *, int type, const char *payload,
    size_t len);
int64_t source_now_ms(void);

#endif /* AALEARN_SOURCE_INTERNAL_H */
