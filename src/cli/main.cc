#include <malloc.h>
#include <sys/prctl.h>

#include "cli/cli.h"
#include "sandbox/weaken.h"

int main(int argc, char** argv) {
  // fanout runs as short processes that build large strings and trees (a 10,000-target plan
  // and build file) and free them at exit: keep freed memory in the heap for reuse rather than
  // returning it to the kernel and faulting fresh pages back in.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  // Not dumpable: a sandboxed command (its own session, but perhaps the same uid) cannot read
  // fanout's memory or /proc/<pid>/environ, which holds the secrets the sandbox keeps from it.
  // The commands fanout runs are dumpable again after their execve.
  if (!fanout::sandbox::Weakened("dumpable")) prctl(PR_SET_DUMPABLE, 0);
  return fanout::RunCli(argc, argv);
}
