namespace Clinforge.Data;
