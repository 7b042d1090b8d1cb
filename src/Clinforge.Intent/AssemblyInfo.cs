namespace Clinforge.Intent;
