// Publish one SendEmail to SesWorker with amqplib (npm install amqplib).
// usage: SESWORKER_AMQP=amqp://guest:guest@127.0.0.1:5672/ node publish.js EMAIL_ID RECIPIENT
'use strict';
const amqp = require('amqplib');

async function main() {
  const [emailId, recipient] = process.argv.slice(2);
  const message = {
    emailId,                                   // a GUID, or your own key such as "order-42"
    appId: '1250000000',
    from: { address: 'noreply@example.com', name: 'Shop' },
    to: [recipient],
    subject: 'Your order',
    html: '<p>Thank you for your order.</p>',
    attachments: [{ fileName: 'hello.txt', contentType: 'text/plain', content: Buffer.from('hello').toString('base64') }],
  };
  const connection = await amqp.connect(process.env.SESWORKER_AMQP || 'amqp://guest:guest@127.0.0.1:5672/');
  const channel = await connection.createConfirmChannel();
  channel.publish('send-email', '', Buffer.from(JSON.stringify(message)),
    { contentType: 'application/json', persistent: true, mandatory: true });
  await channel.waitForConfirms(); // rejects if the broker did not take the message
  await connection.close();
  console.log(`published ${emailId}`);
}

main().catch((error) => { console.error(error); process.exit(1); });
