/* Replays inputs through a harness without libFuzzer: every file named on
 * the command line, and every file in every directory named. Exit 0 when
 * all ran (a crash aborts under the sanitizers); 2 when a path is
 * unreadable or nothing was found. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 1;
}

int main(int argc, char **argv)
{
	int total = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat sb;
		DIR *dir;
		struct dirent *e;
		if (stat(argv[i], &sb)) {
			fprintf(stderr, "replay: no %s\n", argv[i]);
			return 2;
		}
		if (!S_ISDIR(sb.st_mode)) {
			if (run_file(argv[i]) < 0)
				return 2;
			total++;
			continue;
		}
		if (!(dir = opendir(argv[i])))
			return 2;
		while ((e = readdir(dir))) {
			char path[4096];
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			if (run_file(path) < 0) {
				closedir(dir);
				return 2;
			}
			total++;
		}
		closedir(dir);
	}
	printf("replayed %d inputs\n", total);
	return total ? 0 : 2;
}
