// Re-exported from here so that Node resolves the package in this directory (src/source/clients/optional.ts).
import confluent from '@confluentinc/kafka-javascript';
export default confluent;
export const KafkaJS = confluent.KafkaJS;
