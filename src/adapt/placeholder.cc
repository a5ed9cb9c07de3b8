// placeholder so the library has a source until the adapt files land.
namespace sangam::adapt {}
