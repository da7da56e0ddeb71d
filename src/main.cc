#include "src/cli.h"

int main(int argc, char** argv) { return fanout::RunCli(argc, argv); }
