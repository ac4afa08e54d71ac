/* Arenas: alignment, large blocks, limits, clear and reuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "socred/arena.h"

static void basics(void **state)
{
	struct sc_arena a;
	char *p, *q, *big;

	(void)state;
	sc_arena_init(&a, 128, 0);
	p = sc_arena_alloc(&a, 3);
	q = sc_arena_alloc(&a, 5);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % 16, 0);
	assert_int_equal((uintptr_t)q % 16, 0);
	big = sc_arena_alloc(&a, 10000); /* larger than a chunk */
	assert_non_null(big);
	memset(big, 1, 10000);
	assert_string_equal(sc_arena_strdup(&a, "hello"), "hello");
	assert_string_equal(sc_arena_strndup(&a, "hello", 2), "he");
	sc_arena_clear(&a);
	assert_int_equal(a.used, 0);
	assert_non_null(sc_arena_calloc(&a, 4, 8));
	sc_arena_release(&a);
	sc_arena_release(NULL);
}

static void limit(void **state)
{
	struct sc_arena a;

	(void)state;
	sc_arena_init(&a, 64, 100);
	assert_non_null(sc_arena_alloc(&a, 64));
	assert_null(sc_arena_alloc(&a, 64));
	assert_null(sc_arena_calloc(&a, SIZE_MAX / 2, 4));
	sc_arena_release(&a);
}

/* sc_grow: at least what is asked, contents kept, no move when it fits. */
static void grow(void **state)
{
	int *a = NULL, *before;
	size_t cap = 0;

	(void)state;
	assert_true(sc_grow((void **)&a, &cap, 1, sizeof(*a)));
	assert_int_equal(cap, 16);
	for (int i = 0; i < 16; i++)
		a[i] = i;
	before = a;
	assert_true(sc_grow((void **)&a, &cap, 16, sizeof(*a)));
	assert_ptr_equal(a, before);
	assert_true(sc_grow((void **)&a, &cap, 100, sizeof(*a)));
	assert_int_equal(cap, 128);
	for (int i = 0; i < 16; i++)
		assert_int_equal(a[i], i);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(basics), cmocka_unit_test(limit),
					   cmocka_unit_test(grow)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
