namespace Clinforge.Training;
