using System.Runtime.CompilerServices;

// The tests reach the CSV and .npy parsers directly, so malformed input can be tested without a whole dataset.
[assembly: InternalsVisibleTo("Clinforge.Data.Tests")]

namespace Clinforge.Data;
