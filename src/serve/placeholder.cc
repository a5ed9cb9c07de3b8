// Placeholder so the serve library exists before its first real source file (delete when one lands).
namespace sangam::serve {
int ServePlaceholder() { return 0; }
}  // namespace sangam::serve
