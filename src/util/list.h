/* An intrusive doubly-linked list: the node lives inside the item, so
 * linking, unlinking and moving an item costs no allocation and no walk.
 * The caches keep their least-recently-used order in one, the engine its
 * deadline lists and client registry, HTTP/2 its open streams.
 *
 * NULL-terminated with a head and a tail, so an all-zero list is empty and
 * an all-zero node is unlinked: a calloc'd owner needs no init call. A
 * node is in at most one list through one field; the caller knows which
 * (the list does not record it). */
#ifndef EISD_LIST_H
#define EISD_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_node {
	struct list_node *prev, *next;
};

struct list {
	struct list_node *head, *tail;
};

/* The item whose field member is node, or NULL for a NULL node (the end
 * of a walk): list_item(l->head, struct conn, timer_node). */
#define list_item(node, type, member) ((type *)list_item_at((node), offsetof(type, member)))

static inline void *list_item_at(struct list_node *n, size_t offset)
{
	return n ? (void *)((char *)n - offset) : NULL;
}

/* Walks l from head to tail, it naming each item (of type, linked
 * through member) in turn. The body must not unlink it: a walk that
 * drops items reads the next one first. */
#define list_each(it, l, type, member)                                 \
	for (type *it = list_item((l)->head, type, member); it;        \
	     it = list_item(it->member.next, type, member))

static inline bool list_empty(const struct list *l)
{
	return !l->head;
}

/* n goes in right after at, a node of l (NULL: at the head). */
static inline void list_insert_after(struct list *l, struct list_node *at, struct list_node *n)
{
	n->prev = at;
	n->next = at ? at->next : l->head;
	if (n->next)
		n->next->prev = n;
	else
		l->tail = n;
	if (at)
		at->next = n;
	else
		l->head = n;
}

static inline void list_push_front(struct list *l, struct list_node *n)
{
	list_insert_after(l, NULL, n);
}

static inline void list_push_back(struct list *l, struct list_node *n)
{
	list_insert_after(l, l->tail, n);
}

/* n must be in l. Leaves n zeroed (unlinked). */
static inline void list_unlink(struct list *l, struct list_node *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		l->head = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		l->tail = n->prev;
	n->prev = n->next = NULL;
}

/* n (in l) becomes the head: a cache hit in LRU order. */
static inline void list_move_front(struct list *l, struct list_node *n)
{
	if (l->head == n)
		return;
	list_unlink(l, n);
	list_push_front(l, n);
}

#endif
