/* Arenas: alignment, large blocks, limits, clear and reuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(basics), cmocka_unit_test(limit)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
