/* Unit tests for src/util/list.h: the intrusive doubly-linked list. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/list.h"

struct item {
	int id;
	struct list_node node; /* not first: list_item must subtract */
};

/* The ids from head to tail into out, checking every back link on the
 * way and that the tail is where the walk ends. */
static size_t walk(struct list *l, int *out, size_t max)
{
	struct list_node *prev = NULL;
	size_t n = 0;

	list_each(it, l, struct item, node) {
		assert_ptr_equal(it->node.prev, prev);
		assert_true(n < max);
		out[n++] = it->id;
		prev = &it->node;
	}
	assert_ptr_equal(l->tail, prev);
	return n;
}

#define ASSERT_ORDER(l, ...)                                                         \
	do {                                                                         \
		const int want[] = { __VA_ARGS__ };                                  \
		int got[16];                                                         \
		size_t n = walk((l), got, 16);                                       \
		assert_int_equal(n, sizeof(want) / sizeof(want[0]));                 \
		assert_memory_equal(got, want, sizeof(want));                        \
	} while (0)

static void test_zeroed_is_empty(void **state)
{
	struct list l;
	struct item a;

	(void)state;
	memset(&l, 0, sizeof(l));
	memset(&a, 0, sizeof(a));
	assert_true(list_empty(&l));
	assert_null(list_item(l.head, struct item, node));
	list_push_back(&l, &a.node);
	assert_false(list_empty(&l));
	assert_ptr_equal(list_item(l.head, struct item, node), &a);
	assert_ptr_equal(list_item(l.tail, struct item, node), &a);
}

static void test_push_front_and_back(void **state)
{
	struct list l = { 0 };
	struct item it[4] = { { .id = 0 }, { .id = 1 }, { .id = 2 }, { .id = 3 } };

	(void)state;
	list_push_back(&l, &it[1].node);
	list_push_front(&l, &it[0].node);
	list_push_back(&l, &it[2].node);
	list_push_back(&l, &it[3].node);
	ASSERT_ORDER(&l, 0, 1, 2, 3);
}

static void test_unlink_head_middle_tail(void **state)
{
	struct list l = { 0 };
	struct item it[4] = { { .id = 0 }, { .id = 1 }, { .id = 2 }, { .id = 3 } };

	(void)state;
	for (int i = 0; i < 4; i++)
		list_push_back(&l, &it[i].node);
	list_unlink(&l, &it[1].node);
	ASSERT_ORDER(&l, 0, 2, 3);
	assert_null(it[1].node.prev);
	assert_null(it[1].node.next);
	list_unlink(&l, &it[0].node);
	ASSERT_ORDER(&l, 2, 3);
	list_unlink(&l, &it[3].node);
	ASSERT_ORDER(&l, 2);
	list_unlink(&l, &it[2].node);
	assert_true(list_empty(&l));
	assert_null(l.tail);
	/* An unlinked node goes back in as if new. */
	list_push_front(&l, &it[1].node);
	ASSERT_ORDER(&l, 1);
}

static void test_insert_after(void **state)
{
	struct list l = { 0 };
	struct item it[4] = { { .id = 0 }, { .id = 1 }, { .id = 2 }, { .id = 3 } };

	(void)state;
	list_insert_after(&l, NULL, &it[0].node);      /* into an empty list */
	list_insert_after(&l, &it[0].node, &it[2].node); /* after the tail */
	list_insert_after(&l, &it[0].node, &it[1].node); /* in the middle */
	list_insert_after(&l, NULL, &it[3].node);      /* before the head */
	ASSERT_ORDER(&l, 3, 0, 1, 2);
}

static void test_move_front(void **state)
{
	struct list l = { 0 };
	struct item it[3] = { { .id = 0 }, { .id = 1 }, { .id = 2 } };

	(void)state;
	for (int i = 0; i < 3; i++)
		list_push_back(&l, &it[i].node);
	list_move_front(&l, &it[2].node); /* the tail */
	ASSERT_ORDER(&l, 2, 0, 1);
	list_move_front(&l, &it[0].node); /* the middle */
	ASSERT_ORDER(&l, 0, 2, 1);
	list_move_front(&l, &it[0].node); /* already the head */
	ASSERT_ORDER(&l, 0, 2, 1);
}

static void test_move_front_single(void **state)
{
	struct list l = { 0 };
	struct item a = { .id = 7 };

	(void)state;
	list_push_front(&l, &a.node);
	list_move_front(&l, &a.node);
	ASSERT_ORDER(&l, 7);
}

/* Unlinking the item a walk is on, with its successor read first: what
 * an eviction sweep does. */
static void test_unlink_while_walking(void **state)
{
	struct list l = { 0 };
	struct item it[5];
	struct item *e, *next;

	(void)state;
	for (int i = 0; i < 5; i++) {
		it[i] = (struct item){ .id = i };
		list_push_back(&l, &it[i].node);
	}
	for (e = list_item(l.head, struct item, node); e; e = next) {
		next = list_item(e->node.next, struct item, node);
		if (e->id % 2 == 0)
			list_unlink(&l, &e->node);
	}
	ASSERT_ORDER(&l, 1, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zeroed_is_empty),
		cmocka_unit_test(test_push_front_and_back),
		cmocka_unit_test(test_unlink_head_middle_tail),
		cmocka_unit_test(test_insert_after),
		cmocka_unit_test(test_move_front),
		cmocka_unit_test(test_move_front_single),
		cmocka_unit_test(test_unlink_while_walking),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
