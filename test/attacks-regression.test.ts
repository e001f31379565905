import { attackRegressionSuite } from './attacks-regression-suite';

attackRegressionSuite('cpu');
