// sangam: the single command-line entry point; dispatches to subcommands.
#include <cstdio>

int main(int argc, char** argv) {
  std::printf("sangam: no subcommands yet\n");
  return argc > 1 ? 2 : 0;
}
