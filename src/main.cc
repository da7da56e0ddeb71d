#include <malloc.h>

#include "src/cli.h"

int main(int argc, char** argv) {
  // fanout runs as short processes that build large strings and trees (a 10,000-target plan
  // and build file) and free them at exit: keep freed memory in the heap for reuse rather than
  // returning it to the kernel and faulting fresh pages back in.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  return fanout::RunCli(argc, argv);
}
