// Placeholder so the guard library exists before its first real source file (delete when one lands).
namespace sangam::guard {
int GuardPlaceholder() { return 0; }
}  // namespace sangam::guard
